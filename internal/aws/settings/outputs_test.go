package settings

import "testing"

func TestOutputKey(t *testing.T) {
	for output, want := range map[string]string{
		"DatastoreRoot": "datastore_root", "SfnLogGroupArn": "sfn_log_group_arn",
		"ImageRepositoryUri": "image_repository", "DeadLetterQueue": "dead_letter_queue",
		"BucketName": "",
	} {
		got, ok := OutputKey(output)
		if got != want || ok != (want != "") {
			t.Errorf("OutputKey(%s) = %q, %v; want %q", output, got, ok, want)
		}
	}
}
