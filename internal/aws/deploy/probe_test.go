package deploy

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// TestHTTPStatus reads the status of an AWS response through the wrapping
// the datastore adds: a 403 to the reachability probe (a deployer without
// s3:ListBucket, asking for a key that does not exist) is S3's answer, so
// create goes on.
func TestHTTPStatus(t *testing.T) {
	resp := &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: http.StatusForbidden}}, Err: errors.New("Forbidden")}
	err := fmt.Errorf("stat Flow/code/reachable: head s3://b/p/Flow/code/reachable: %w", resp)
	if got := httpStatus(err); got != http.StatusForbidden {
		t.Errorf("httpStatus = %d, want 403", got)
	}
	if got := httpStatus(errors.New("dial tcp 127.0.0.1:1: connection refused")); got != 0 {
		t.Errorf("httpStatus of a network error = %d, want 0", got)
	}
}
