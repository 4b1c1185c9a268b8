package cli_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// The plain build of a flow binary must not link the AWS SDK: its package
// initialisation would be paid by every task process.
func TestPlainBuildHasNoAWSSDK(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../../examples/hello").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/aws/") || strings.Contains(p, "/internal/datastore/s3") {
			t.Errorf("the plain flow binary depends on %s", p)
		}
	}
}

// A command that needs AWS (here, a run on an S3 datastore) builds the AWS
// variant of the flow binary and runs the same command line in it.
func TestReexecAWSBuild(t *testing.T) {
	fake := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer fake.Close()
	client := awss3.New(awss3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(fake.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
	})
	if _, err := client.CreateBucket(context.Background(), &awss3.CreateBucketInput{Bucket: aws.String("flows")}); err != nil {
		t.Fatal(err)
	}
	gocache, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(binDir, "hello"), "run", "--quiet", "--datastore-root", "s3://flows/team")
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir(), "GOCACHE="+strings.TrimSpace(string(gocache)),
		"STEPFLOW_S3_ENDPOINT="+fake.URL, "STEPFLOW_S3_PATH_STYLE=true", "AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=secret", "AWS_EC2_METADATA_DISABLED=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(string(out), "building the AWS variant") || !strings.Contains(string(out), "succeeded") {
		t.Errorf("output:\n%s", out)
	}
	list, err := client.ListObjectsV2(context.Background(), &awss3.ListObjectsV2Input{Bucket: aws.String("flows"), Prefix: aws.String("team/HelloFlow/runs/")})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, o := range list.Contents {
		if strings.HasSuffix(*o.Key, "/end/0/0/attempt.json") {
			found = true
		}
	}
	if !found {
		t.Errorf("no end task record in S3; objects: %d", len(list.Contents))
	}
}
