package s3store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/datastore/datastoretest"
	"github.com/stepflow/stepflow/internal/datastore/s3store"
)

// fake is an in-process gofakes3 server on plain HTTP that records requests
// and can answer some with throttling errors.
type fake struct {
	URL string

	mu       sync.Mutex
	requests []string // "METHOD op", op from the query (uploads, partNumber, uploadId) or "object"
	throttle func(r *http.Request) bool
}

func newFake(t *testing.T) *fake {
	t.Helper()
	f := &fake{}
	s3h := gofakes3.New(s3mem.New()).Server()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		op := "object"
		switch {
		case q.Has("partNumber"):
			op = "part"
		case q.Has("uploads"):
			op = "uploads"
		case q.Has("uploadId"):
			op = "uploadId"
		case q.Has("list-type"):
			op = "list"
		}
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+op)
		throttle := f.throttle != nil && f.throttle(r)
		f.mu.Unlock()
		if throttle {
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+
				`<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
			return
		}
		s3h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	f.URL = ts.URL
	return f
}

func (f *fake) count(req string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r == req {
			n++
		}
	}
	return n
}

func (f *fake) reset() {
	f.mu.Lock()
	f.requests = nil
	f.mu.Unlock()
}

var bucketSeq atomic.Int64

// newBackend returns a backend on a new bucket of f, created by the test.
func newBackend(t *testing.T, f *fake, cfg s3store.Config) *s3store.Backend {
	t.Helper()
	if cfg.Bucket == "" {
		cfg.Bucket = fmt.Sprintf("bucket-%d", bucketSeq.Add(1))
	}
	cfg.Endpoint = f.URL
	cfg.PathStyle = true
	cfg.Region = "us-east-1"
	cfg.Credentials = credentials.NewStaticCredentialsProvider("test", "test", "")
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 5 * time.Millisecond
	}
	b, err := s3store.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Client().CreateBucket(context.Background(), &awss3.CreateBucketInput{Bucket: aws.String(cfg.Bucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	return b
}

func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  s3store.Config
	}{
		{"Default", s3store.Config{}},
		{"Prefix", s3store.Config{Prefix: "some/prefix"}},
		// Everything over 100 bytes goes through a multipart upload.
		{"Multipart", s3store.Config{Prefix: "p", MultipartThreshold: 100, PartSize: s3store.MinPartSize, Concurrency: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			datastoretest.Run(t, func(t *testing.T) datastore.Backend {
				return newBackend(t, f, tc.cfg)
			})
		})
	}
}

// The prefix isolates backends sharing a bucket, and List returns names
// relative to it.
func TestPrefixIsolation(t *testing.T) {
	f := newFake(t)
	ctx := context.Background()
	a := newBackend(t, f, s3store.Config{Bucket: "shared", Prefix: "a"})
	b, err := s3store.New(ctx, s3store.Config{Bucket: "shared", Prefix: "a/b", Endpoint: f.URL, PathStyle: true,
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "s", "")})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Save(ctx, "x/1", strings.NewReader("1")); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(ctx, "x/2", strings.NewReader("22")); err != nil {
		t.Fatal(err)
	}
	if got := a.Key("x/1"); got != "a/x/1" {
		t.Errorf("Key = %q", got)
	}
	var names []string
	if err := b.List(ctx, "", func(n string, size int64) error {
		names = append(names, fmt.Sprintf("%s:%d", n, size))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(names) != "[x/2:2]" {
		t.Errorf("b.List = %q, want [x/2:2]", names)
	}
	names = nil
	a.List(ctx, "", func(n string, size int64) error { names = append(names, n); return nil })
	if fmt.Sprint(names) != "[b/x/2 x/1]" {
		t.Errorf("a.List = %q, want [b/x/2 x/1]", names)
	}
}

func TestParseRoot(t *testing.T) {
	for _, tc := range []struct {
		root, bucket, prefix, err string
	}{
		{"s3://bucket", "bucket", "", ""},
		{"s3://bucket/", "bucket", "", ""},
		{"s3://my.bucket-1/stepflow", "my.bucket-1", "stepflow", ""},
		{"s3://b-1/a/b/c/", "b-1", "a/b/c", ""},
		{"bucket/prefix", "", "", "want s3://bucket[/prefix]"},
		{"S3://bucket", "", "", "want s3://bucket[/prefix]"},
		{"/tmp/x", "", "", "want s3://bucket[/prefix]"},
		{"s3://", "", "", "empty bucket name"},
		{"s3:///prefix", "", "", "empty bucket name"},
		{"s3://ab", "", "", "want 3 to 63 characters"},
		{"s3://my bucket/x", "", "", "invalid character"},
		{"s3://bucket/a//b", "", "", "empty path element"},
		{"s3://bucket//a", "", "", "empty path element"},
		{"s3://bucket/a/../b", "", "", "starts with '.'"},
		{"s3://bucket/.x", "", "", "starts with '.'"},
		{"s3://bucket/p?versionId=1", "", "", "query strings"},
	} {
		bucket, prefix, err := s3store.ParseRoot(tc.root)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseRoot(%q) error = %v, want it to contain %q", tc.root, err, tc.err)
			}
			continue
		}
		if err != nil || bucket != tc.bucket || prefix != tc.prefix {
			t.Errorf("ParseRoot(%q) = %q, %q, %v; want %q, %q", tc.root, bucket, prefix, err, tc.bucket, tc.prefix)
		}
	}
}

func TestFromEnv(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	env := map[string]string{
		"STEPFLOW_S3_ENDPOINT":   f.URL,
		"STEPFLOW_S3_PATH_STYLE": "true",
		"AWS_REGION":             "eu-west-1",
	}
	b, err := s3store.FromEnv(ctx, "s3://env-bucket/pre/fix", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if b.Bucket() != "env-bucket" || b.Key("n") != "pre/fix/n" {
		t.Errorf("bucket %q key %q", b.Bucket(), b.Key("n"))
	}
	if got := b.Client().Options().Region; got != "eu-west-1" {
		t.Errorf("region %q, want eu-west-1", got)
	}
	env["STEPFLOW_REGION"] = "ap-south-1"
	b, err = s3store.FromEnv(ctx, "s3://env-bucket/pre/fix", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Client().Options().Region; got != "ap-south-1" {
		t.Errorf("region %q, want STEPFLOW_REGION ap-south-1", got)
	}
	if _, err := b.Client().CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String("env-bucket")}); err != nil {
		t.Fatal(err)
	}
	if err := b.Save(ctx, "n", strings.NewReader("v")); err != nil {
		t.Fatalf("save through FromEnv backend: %v", err)
	}

	env["STEPFLOW_S3_PATH_STYLE"] = "maybe"
	if _, err := s3store.FromEnv(ctx, "s3://env-bucket", func(k string) string { return env[k] }); err == nil ||
		!strings.Contains(err.Error(), "STEPFLOW_S3_PATH_STYLE") {
		t.Errorf("bad path style: %v", err)
	}
	if _, err := s3store.FromEnv(ctx, "s3://", func(string) string { return "" }); err == nil {
		t.Error("FromEnv with empty bucket succeeded")
	}
	// No region anywhere (and AWS, not a custom endpoint): a clear error.
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	if _, err := s3store.FromEnv(ctx, "s3://bucket", func(string) string { return "" }); err == nil ||
		!strings.Contains(err.Error(), "no region: set STEPFLOW_REGION or AWS_REGION") {
		t.Errorf("no region: %v", err)
	}
	env = map[string]string{"STEPFLOW_S3_ENDPOINT": "localhost:9000"}
	if _, err := s3store.FromEnv(ctx, "s3://bucket", func(k string) string { return env[k] }); err == nil ||
		!strings.Contains(err.Error(), "http://") {
		t.Errorf("endpoint without scheme: %v", err)
	}
}

func TestNotFound(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	b := newBackend(t, f, s3store.Config{Prefix: "pre"})
	_, err := b.Load(ctx, "no/such/key")
	if !errors.Is(err, datastore.ErrNotFound) {
		t.Fatalf("Load missing: %v, want ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), "no/such/key") || !strings.Contains(err.Error(), "s3://"+b.Bucket()+"/pre/no/such/key") {
		t.Errorf("Load missing error %q does not name the key", err)
	}
	if _, err := b.Stat(ctx, "no/such/key"); !errors.Is(err, datastore.ErrNotFound) || !strings.Contains(err.Error(), "no/such/key") {
		t.Errorf("Stat missing: %v, want ErrNotFound naming the key", err)
	}

	// A missing bucket is a configuration error, not a missing object.
	nb, err := s3store.New(ctx, s3store.Config{Bucket: "no-such-bucket", Endpoint: f.URL, PathStyle: true, Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("k", "s", ""), MaxBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nb.Load(ctx, "x"); err == nil || errors.Is(err, datastore.ErrNotFound) {
		t.Errorf("Load from missing bucket: %v, want an error other than ErrNotFound", err)
	} else if !strings.Contains(err.Error(), "NoSuchBucket") {
		t.Errorf("Load from missing bucket: %v, want NoSuchBucket", err)
	}
}

func TestInvalidNames(t *testing.T) {
	b := newBackend(t, newFake(t), s3store.Config{})
	ctx := context.Background()
	for _, name := range []string{"", "/abs", "a//b", "a/../b", "a/./b", "a/", ".hidden", "a/.tmp-x"} {
		if err := b.Save(ctx, name, strings.NewReader("x")); err == nil {
			t.Errorf("Save(%q) succeeded, want error", name)
		}
		if _, err := b.Load(ctx, name); err == nil {
			t.Errorf("Load(%q) succeeded, want error", name)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		cfg s3store.Config
		err string
	}{
		{s3store.Config{}, "empty bucket name"},
		{s3store.Config{Bucket: "b-1", Prefix: "a/../b"}, "prefix"},
		{s3store.Config{Bucket: "b-1", Region: "r", PartSize: 1 << 20}, "part size"},
		{s3store.Config{Bucket: "b-1", Region: "r", MultipartThreshold: 6 << 30}, "multipart threshold"},
		{s3store.Config{Bucket: "b-1", Region: "r", Concurrency: -1}, "concurrency"},
	} {
		if _, err := s3store.New(ctx, tc.cfg); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("New(%+v) error = %v, want %q", tc.cfg, err, tc.err)
		}
	}
}

// pattern is a deterministic, non-repeating-looking byte sequence.
func pattern(n int) []byte {
	data := make([]byte, n)
	x := uint32(2463534242)
	for i := range data {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		data[i] = byte(x)
	}
	return data
}

// A 20 MiB object streamed through a pipe (not seekable, size unknown) goes
// through a multipart upload in 5 MiB parts and loads back identical.
func TestMultipart(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	b := newBackend(t, f, s3store.Config{Prefix: "mp", MultipartThreshold: 6 << 20, PartSize: 5 << 20})
	data := pattern(20<<20 + 7)
	f.reset()
	pr, pw := io.Pipe()
	go func() {
		for off := 0; off < len(data); off += 100000 {
			pw.Write(data[off:min(off+100000, len(data))])
		}
		pw.Close()
	}()
	if err := b.Save(ctx, "big/obj", pr); err != nil {
		t.Fatal(err)
	}
	if got := f.count("POST uploads"); got != 1 {
		t.Errorf("CreateMultipartUpload requests = %d, want 1", got)
	}
	if got := f.count("PUT part"); got != 5 {
		t.Errorf("UploadPart requests = %d, want 5 (4 x 5 MiB + 7 bytes)", got)
	}
	if got := f.count("POST uploadId"); got != 1 {
		t.Errorf("CompleteMultipartUpload requests = %d, want 1", got)
	}
	if got := f.count("PUT object"); got != 0 {
		t.Errorf("PutObject requests = %d, want 0", got)
	}
	size, err := b.Stat(ctx, "big/obj")
	if err != nil || size != int64(len(data)) {
		t.Fatalf("Stat = %d, %v; want %d", size, err, len(data))
	}
	rc, err := b.Load(ctx, "big/obj")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Load: %d bytes (err %v), want the %d saved", len(got), err, len(data))
	}

	// At the threshold exactly: one PutObject.
	f.reset()
	if err := b.Save(ctx, "big/edge", bytes.NewReader(data[:6<<20])); err != nil {
		t.Fatal(err)
	}
	if f.count("PUT object") != 1 || f.count("POST uploads") != 0 {
		t.Errorf("object of threshold size: requests %q, want one PutObject", f.requests)
	}
}

// A reader failing in the middle of a multipart upload aborts it: no object,
// no pending upload, an existing object kept.
func TestMultipartAbort(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	b := newBackend(t, f, s3store.Config{MultipartThreshold: 1 << 20, PartSize: 5 << 20})
	if err := b.Save(ctx, "x", strings.NewReader("keep")); err != nil {
		t.Fatal(err)
	}
	f.reset()
	data := pattern(12 << 20)
	rd := io.MultiReader(bytes.NewReader(data), iotestErrReader{errors.New("reader broke")})
	err := b.Save(ctx, "x", rd)
	if err == nil || !strings.Contains(err.Error(), "reader broke") {
		t.Fatalf("Save with failing reader: %v", err)
	}
	if f.count("DELETE uploadId") != 1 || f.count("POST uploadId") != 0 {
		t.Errorf("requests %q: want one AbortMultipartUpload and no Complete", f.requests)
	}
	out, err := b.Client().ListMultipartUploads(ctx, &awss3.ListMultipartUploadsInput{Bucket: aws.String(b.Bucket())})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Uploads) != 0 {
		t.Errorf("pending uploads after abort: %d", len(out.Uploads))
	}
	rc, err := b.Load(ctx, "x")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "keep" {
		t.Errorf("after failed multipart re-save: %q, want %q", got, "keep")
	}
}

type iotestErrReader struct{ err error }

func (r iotestErrReader) Read([]byte) (int, error) { return 0, r.err }

// Throttling (503 SlowDown) is retried with backoff until it passes, for
// single and multipart uploads alike, and given up after MaxAttempts.
func TestThrottlingRetried(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	b := newBackend(t, f, s3store.Config{MaxAttempts: 5, MultipartThreshold: 1 << 20, PartSize: 5 << 20})
	var left atomic.Int64
	f.mu.Lock()
	f.throttle = func(r *http.Request) bool {
		return r.Method != http.MethodGet && r.Method != http.MethodHead && left.Add(-1) >= 0
	}
	f.mu.Unlock()

	left.Store(3)
	f.reset()
	if err := b.Save(ctx, "small", strings.NewReader("hello")); err != nil {
		t.Fatalf("Save under throttling: %v", err)
	}
	if got := f.count("PUT object"); got != 4 {
		t.Errorf("PutObject attempts = %d, want 4 (3 throttled)", got)
	}

	left.Store(2)
	data := pattern(7 << 20)
	if err := b.Save(ctx, "large", bytes.NewReader(data)); err != nil {
		t.Fatalf("multipart Save under throttling: %v", err)
	}
	if size, err := b.Stat(ctx, "large"); err != nil || size != int64(len(data)) {
		t.Errorf("Stat(large) = %d, %v", size, err)
	}

	left.Store(100)
	f.reset()
	err := b.Save(ctx, "never", strings.NewReader("x"))
	if err == nil || !strings.Contains(err.Error(), "SlowDown") {
		t.Errorf("Save under permanent throttling: %v, want SlowDown error", err)
	}
	if got := f.count("PUT object"); got != 5 {
		t.Errorf("attempts under permanent throttling = %d, want MaxAttempts 5", got)
	}
}

// Reads are verified by the Store layer: an object damaged in the bucket is
// reported as ErrCorrupt naming its key, for both blob codecs.
func TestStoreDetectsCorruption(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	b := newBackend(t, f, s3store.Config{Prefix: "root"})
	st := datastore.NewStore(b, "Flow")
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"compressible", bytes.Repeat([]byte("stepflow artifact "), 5000)},
		{"raw", pattern(100000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hash, err := st.Blobs().Put(ctx, tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := st.Blobs().Get(ctx, hash); err != nil || !bytes.Equal(got, tc.data) {
				t.Fatalf("Blobs.Get intact: %d bytes, %v", len(got), err)
			}
			name := "Flow/blobs/" + hash[:2] + "/" + hash
			stored := loadObject(t, b, name)
			for _, damage := range []struct {
				what string
				fn   func([]byte) []byte
			}{
				{"flip middle", func(s []byte) []byte { s[len(s)/2] ^= 0x40; return s }},
				{"flip last", func(s []byte) []byte { s[len(s)-1] ^= 1; return s }},
				{"truncate", func(s []byte) []byte { return s[:len(s)/2] }},
			} {
				overwrite(t, b, name, damage.fn(bytes.Clone(stored)))
				_, err = st.Blobs().Get(ctx, hash)
				if !errors.Is(err, datastore.ErrCorrupt) || !strings.Contains(err.Error(), name) {
					t.Errorf("%s: Blobs.Get error = %v, want ErrCorrupt naming %s", damage.what, err, name)
				}
			}
		})
	}
}

// TestFileBlob: a file artifact on S3 is hashed (the SHA-256 tree) in one
// pass and uploaded in parts in a second; an existing one is not uploaded
// again; reading it back streams and verifies it against the tree, and a
// damaged byte in the object is ErrCorrupt at the end of the stream.
func TestFileBlob(t *testing.T) {
	ctx := context.Background()
	f := newFake(t)
	b := newBackend(t, f, s3store.Config{Prefix: "files", MultipartThreshold: 6 << 20, PartSize: 5 << 20})
	st := datastore.NewStore(b, "Flow")
	data := pattern(11<<20 + 3) // 12 leaves, 3 parts
	path := filepath.Join(t.TempDir(), "in.bin")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f.reset()
	hash, size, err := st.Blobs().PutFile(ctx, path)
	if err != nil || hash != datastore.TreeHash(data) || size != int64(len(data)) {
		t.Fatalf("Blobs.PutFile = %s, %d, %v; want %s, %d", hash, size, err, datastore.TreeHash(data), len(data))
	}
	if got := f.count("PUT part"); got != 3 {
		t.Errorf("UploadPart requests = %d, want 3 (header + 11 MiB + 3 bytes in 5 MiB parts)", got)
	}
	f.reset()
	if _, _, err := st.Blobs().PutFile(ctx, path); err != nil {
		t.Fatal(err)
	}
	if n := f.count("PUT part") + f.count("PUT object"); n != 0 {
		t.Errorf("storing the same file again made %d uploads, want 0", n)
	}
	read := func() ([]byte, error) {
		rc, n, err := st.Blobs().OpenFile(ctx, hash)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		if n != int64(len(data)) {
			t.Errorf("Blobs.OpenFile size = %d, want %d", n, len(data))
		}
		return io.ReadAll(rc)
	}
	if got, err := read(); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, %v", len(got), err)
	}
	name := "Flow/blobs/" + hash[:2] + "/" + hash
	stored := loadObject(t, b, name)
	stored[len(stored)-1<<20] ^= 1 // in the last full leaf
	overwrite(t, b, name, stored)
	if _, err := read(); !errors.Is(err, datastore.ErrCorrupt) {
		t.Errorf("reading a damaged file blob: %v, want ErrCorrupt", err)
	}
}

// loadObject returns the stored bytes of object name.
func loadObject(t *testing.T, b *s3store.Backend, name string) []byte {
	t.Helper()
	rc, err := b.Load(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// overwrite replaces object name with data behind the backend's back, as
// damage would.
func overwrite(t *testing.T, b *s3store.Backend, name string, data []byte) {
	t.Helper()
	if _, err := b.Client().PutObject(context.Background(), &awss3.PutObjectInput{
		Bucket: aws.String(b.Bucket()), Key: aws.String(b.Key(name)), Body: bytes.NewReader(data),
	}); err != nil {
		t.Fatal(err)
	}
}
