package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/seed"
)

// TestInspectS3 runs every inspection command on the same runs kept in a
// directory and in an S3 bucket (gofakes3 on loopback): the output must be
// the same but for the root's name.
func TestInspectS3(t *testing.T) {
	ctx := context.Background()
	t.Setenv("TZ", "UTC")
	fake := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer fake.Close()
	env := map[string]string{"STEPFLOW_S3_ENDPOINT": fake.URL, "STEPFLOW_S3_PATH_STYLE": "true",
		"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"}
	for k, v := range env {
		t.Setenv(k, v)
	}
	raw := awss3.New(awss3.Options{Region: "us-east-1", BaseEndpoint: aws.String(fake.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")})
	if _, err := raw.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("flows")}); err != nil {
		t.Fatal(err)
	}
	const s3root = "s3://flows/team"
	b, err := datastore.Open(ctx, s3root, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := seed.WriteTo(ctx, b); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := seed.Write(dir); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string { return env[k] }
	for _, args := range [][]string{
		{"flows"},
		{"runs", "HelloFlow"},
		{"runs", "--json", "HelloFlow"},
		{"show", "HelloFlow/r1"},
		{"show", "HelloFlow/r1/train"},
		{"dump", "HelloFlow/latest/start/0"},
		{"dump", "--json", "HelloFlow/r1/end/0"},
		{"logs", "HelloFlow/r1/train/1", "--attempt", "0"},
		{"runs", "NoFlow"},
	} {
		var outs [2]string
		var codes [2]int
		for i, root := range []string{dir, s3root} {
			var stdout, stderr bytes.Buffer
			codes[i] = run(ctx, append([]string{"--datastore-root", root}, args...), &stdout, &stderr, getenv)
			outs[i] = strings.ReplaceAll(stdout.String()+"\n--stderr--\n"+stderr.String(), root, "ROOT")
		}
		if codes[0] != codes[1] || outs[0] != outs[1] {
			t.Errorf("stepflow %s: a directory and S3 differ:\nexit %d\n%s\nexit %d (S3)\n%s", strings.Join(args, " "), codes[0], outs[0], codes[1], outs[1])
		}
		if args[0] != "runs" || args[1] != "NoFlow" {
			if codes[1] != 0 || len(outs[1]) < 20 {
				t.Errorf("stepflow %s on S3: exit %d\n%s", strings.Join(args, " "), codes[1], outs[1])
			}
		}
	}
}
