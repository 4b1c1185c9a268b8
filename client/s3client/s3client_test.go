package s3client_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/stepflow/stepflow/client/s3client"
	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/s3store"
)

func TestOpen(t *testing.T) {
	ctx := context.Background()
	fake := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer fake.Close()
	raw := awss3.New(awss3.Options{Region: "us-east-1", BaseEndpoint: aws.String(fake.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")})
	if _, err := raw.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("flows")}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("STEPFLOW_S3_ENDPOINT", fake.URL) // s3client.Open reads the process environment
	t.Setenv("STEPFLOW_S3_PATH_STYLE", "true")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	b, err := s3store.FromEnv(ctx, "s3://flows/team", func(k string) string {
		return map[string]string{
			"STEPFLOW_S3_ENDPOINT": fake.URL, "STEPFLOW_S3_PATH_STYLE": "true", "AWS_REGION": "us-east-1"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	st := datastore.NewStore(b, "HelloFlow")
	if err := st.Runs().Put(ctx, datastore.Run{ID: "sfn-abc", Start: start, Runtime: "step-functions"}); err != nil {
		t.Fatal(err)
	}
	c, err := s3client.Open(ctx, "s3://flows/team")
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Flow("HelloFlow").Run(ctx, "latest")
	if err != nil {
		t.Fatal(err)
	}
	if r.ID != "sfn-abc" || !r.Start.Equal(start) || r.Status != "running" {
		t.Errorf("run %+v", r)
	}
}
