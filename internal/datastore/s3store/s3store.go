// Package s3 implements datastore.Backend on Amazon S3 or an S3-compatible
// object store, with the AWS SDK for Go v2.
//
// Object name n is stored under the key Prefix + "/" + n (or n when Prefix is
// empty) in Bucket. S3 makes every write atomic (a PUT, or the completion of
// a multipart upload, makes the whole object visible at once; a failed or
// abandoned write leaves any previous object intact) and, since December
// 2020, strongly read-after-write consistent for GET, HEAD and LIST, which is
// all the datastore.Backend contract needs.
//
// Settings (see Config and FromEnv, and docs/datastore.md "S3 backend"):
//
//	root                     s3://bucket[/prefix]
//	STEPFLOW_S3_ENDPOINT     endpoint URL of an S3-compatible store (default: AWS)
//	STEPFLOW_S3_PATH_STYLE   true: path-style addressing (endpoint/bucket/key)
//	STEPFLOW_REGION          region; else AWS_REGION, else the shared config profile
//
// Credentials come from the SDK's default chain (environment, shared files,
// web identity, ECS/Batch container role, EC2 instance role).
package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/stepflow/stepflow/internal/datastore"
	"github.com/stepflow/stepflow/internal/usage"
)

// Defaults of Config.
const (
	// DefaultMultipartThreshold is the largest object stored with a single
	// PutObject; larger objects use a multipart upload.
	DefaultMultipartThreshold = 16 << 20
	// DefaultPartSize is the size of each multipart part but the last. With
	// S3's limit of 10,000 parts it caps one object at about 78 GiB.
	DefaultPartSize = 8 << 20
	// DefaultConcurrency is the number of parts uploaded at once.
	DefaultConcurrency = 4
	// DefaultMaxAttempts is the number of attempts of each request (the
	// SDK's own default is 3).
	DefaultMaxAttempts = 10
	// DefaultMaxBackoff caps the delay between two attempts.
	DefaultMaxBackoff = 20 * time.Second

	// MinPartSize is S3's minimum size of a part other than the last.
	MinPartSize = 5 << 20
	// maxPutSize is S3's limit for a single PutObject.
	maxPutSize = 5 << 30
	// maxParts is S3's limit on the parts of one multipart upload.
	maxParts = 10000
)

// Environment variables read by FromEnv.
const (
	EnvEndpoint  = "STEPFLOW_S3_ENDPOINT"
	EnvPathStyle = "STEPFLOW_S3_PATH_STYLE"
	EnvRegion    = "STEPFLOW_REGION"
	EnvAWSRegion = "AWS_REGION"
)

// Config configures a Backend. Only Bucket is required.
type Config struct {
	// Bucket is the bucket name.
	Bucket string
	// Prefix is the key prefix under which objects are stored, without
	// leading or trailing slash ("" = the bucket's top level).
	Prefix string

	// Region is the bucket's region. Empty: the SDK's default resolution
	// (AWS_REGION, AWS_DEFAULT_REGION, the shared config profile); with an
	// Endpoint and still no region, "us-east-1".
	Region string
	// Endpoint is the base URL of an S3-compatible store
	// ("http://127.0.0.1:9000"). Empty: AWS S3 (or AWS_ENDPOINT_URL_S3).
	Endpoint string
	// PathStyle addresses buckets as endpoint/bucket/key instead of
	// bucket.endpoint/key; most S3-compatible stores need it.
	PathStyle bool

	// Credentials overrides the SDK's default credential chain (tests use
	// credentials.NewStaticCredentialsProvider).
	Credentials aws.CredentialsProvider
	// HTTPClient overrides the SDK's HTTP client. It is set on the S3
	// client's options, not on the shared aws.Config: with AWS_CA_BUNDLE set,
	// config.WithHTTPClient rejects a plain *http.Client.
	HTTPClient awss3.HTTPClient

	// MultipartThreshold: objects larger than this many bytes are uploaded
	// in parts. 0 means DefaultMultipartThreshold; at most 5 GiB.
	MultipartThreshold int64
	// PartSize is the size of each part but the last. 0 means
	// DefaultPartSize; at least MinPartSize.
	PartSize int64
	// Concurrency is the number of parts uploaded at once (each holds a
	// PartSize buffer). 0 means DefaultConcurrency.
	Concurrency int

	// MaxAttempts is the number of attempts of a request before its error
	// is returned. 0 means DefaultMaxAttempts.
	MaxAttempts int
	// MaxBackoff caps the (jittered, exponential) delay between attempts.
	// 0 means DefaultMaxBackoff. Tests lower it.
	MaxBackoff time.Duration
}

// Backend is an S3 datastore.Backend.
type Backend struct {
	client    *awss3.Client
	bucket    string
	keyPrefix string // "" or "prefix/"
	threshold int64
	partSize  int64
	conc      int
}

var _ datastore.Backend = (*Backend)(nil)

// ParseRoot splits a datastore root "s3://bucket[/prefix]" into the bucket
// and the key prefix (without leading or trailing slash).
func ParseRoot(root string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(root, "s3://")
	if !ok {
		return "", "", fmt.Errorf("S3 datastore root %q: want s3://bucket[/prefix]", root)
	}
	if strings.ContainsAny(rest, "?#") {
		return "", "", fmt.Errorf("S3 datastore root %q: query strings and fragments are not allowed", root)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if err := checkBucket(bucket); err != nil {
		return "", "", fmt.Errorf("S3 datastore root %q: %w", root, err)
	}
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix != "" {
		if err := datastore.CheckName(prefix); err != nil {
			return "", "", fmt.Errorf("S3 datastore root %q: prefix: %w", root, err)
		}
	}
	return bucket, prefix, nil
}

// checkBucket accepts S3 bucket names, including legacy ones (upper case and
// underscores, up to 255 characters); the service has the last word.
func checkBucket(b string) error {
	if b == "" {
		return errors.New("empty bucket name")
	}
	if len(b) < 3 || len(b) > 255 {
		return fmt.Errorf("bucket name %q: want 3 to 63 characters (255 for legacy buckets)", b)
	}
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return fmt.Errorf("bucket name %q: invalid character %q", b, c)
		}
	}
	return nil
}

// FromEnv opens the backend for a root "s3://bucket[/prefix]" with settings
// from the environment, read through getenv:
//
//   - STEPFLOW_S3_ENDPOINT: endpoint URL of an S3-compatible store.
//   - STEPFLOW_S3_PATH_STYLE: a boolean (1, true, 0, false, ...);
//     path-style addressing.
//   - STEPFLOW_REGION, else AWS_REGION: the region. If neither is set, the
//     SDK resolves it (AWS_DEFAULT_REGION, the shared config profile).
//
// Credentials, retries and the rest of the SDK configuration follow the
// SDK's default chain. FromEnv makes no request; all its errors are
// configuration errors.
func FromEnv(ctx context.Context, root string, getenv func(string) string) (*Backend, error) {
	bucket, prefix, err := ParseRoot(root)
	if err != nil {
		return nil, err
	}
	cfg := Config{
		Bucket:   bucket,
		Prefix:   prefix,
		Endpoint: getenv(EnvEndpoint),
		Region:   getenv(EnvRegion),
	}
	if cfg.Region == "" {
		cfg.Region = getenv(EnvAWSRegion)
	}
	if v := getenv(EnvPathStyle); v != "" {
		cfg.PathStyle, err = strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("S3 datastore: %s=%q: want true or false", EnvPathStyle, v)
		}
	}
	return New(ctx, cfg)
}

// A program that imports this package opens s3://bucket/prefix roots with
// datastore.Open; the settings come from FromEnv's variables.
func init() {
	datastore.Register("s3", func(ctx context.Context, root string, getenv func(string) string) (datastore.Backend, error) {
		b, err := FromEnv(ctx, root, getenv)
		if err != nil {
			// FromEnv makes no request: its errors are all configuration errors.
			return nil, usage.Errorf("datastore root %s: %v", root, err)
		}
		return b, nil
	})
}

// New returns a Backend for cfg. It makes no request: a missing bucket or
// missing permissions surface on the first operation.
func New(ctx context.Context, cfg Config) (*Backend, error) {
	if err := checkBucket(cfg.Bucket); err != nil {
		return nil, fmt.Errorf("S3 datastore: %w", err)
	}
	prefix := strings.Trim(cfg.Prefix, "/")
	if prefix != "" {
		if err := datastore.CheckName(prefix); err != nil {
			return nil, fmt.Errorf("S3 datastore: prefix: %w", err)
		}
		prefix += "/"
	}
	if cfg.Endpoint != "" && !strings.HasPrefix(cfg.Endpoint, "http://") && !strings.HasPrefix(cfg.Endpoint, "https://") {
		return nil, fmt.Errorf("S3 datastore: endpoint %q: want an http:// or https:// URL", cfg.Endpoint)
	}
	b := &Backend{
		bucket:    cfg.Bucket,
		keyPrefix: prefix,
		threshold: orDefault(cfg.MultipartThreshold, DefaultMultipartThreshold),
		partSize:  orDefault(cfg.PartSize, DefaultPartSize),
		conc:      orDefault(cfg.Concurrency, DefaultConcurrency),
	}
	switch {
	case b.threshold < 0 || b.threshold > maxPutSize:
		return nil, fmt.Errorf("S3 datastore: multipart threshold %d: want 1 byte to 5 GiB", cfg.MultipartThreshold)
	case b.partSize < MinPartSize || b.partSize > maxPutSize:
		return nil, fmt.Errorf("S3 datastore: part size %d: want 5 MiB to 5 GiB", cfg.PartSize)
	case b.conc < 1:
		return nil, fmt.Errorf("S3 datastore: concurrency %d: want at least 1", cfg.Concurrency)
	}
	maxAttempts := orDefault(cfg.MaxAttempts, DefaultMaxAttempts)
	maxBackoff := orDefault(cfg.MaxBackoff, DefaultMaxBackoff)

	var opts []func(*config.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(cfg.Credentials))
	}
	if cfg.Endpoint != "" {
		// S3-compatible stores often mishandle the SDK's default
		// aws-chunked uploads with trailing CRC32 checksums (some store the
		// framing as data) and do not return checksums. Send and validate
		// checksums only where the API requires them; blobs are verified by
		// SHA-256 on every read by datastore.Store anyway.
		opts = append(opts,
			config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
			config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("S3 datastore: load AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		if cfg.Endpoint == "" {
			return nil, fmt.Errorf("S3 datastore s3://%s: no region: set %s or %s", cfg.Bucket, EnvRegion, EnvAWSRegion)
		}
		awsCfg.Region = "us-east-1" // S3-compatible stores mostly ignore it, but SigV4 needs one
	}
	b.client = awss3.NewFromConfig(awsCfg, func(o *awss3.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		o.UsePathStyle = cfg.PathStyle
		if cfg.HTTPClient != nil {
			o.HTTPClient = cfg.HTTPClient
		}
		// Standard retryer: exponential backoff with full jitter (1 s base
		// for throttling errors such as 503 SlowDown, 50 ms otherwise,
		// capped at maxBackoff), retrying throttling codes, 500/502/503/504,
		// RequestTimeout and connection errors. The client-side retry quota
		// is disabled: under sustained SlowDown a shared token bucket would
		// fail requests that a backoff would let through.
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = maxAttempts
			so.MaxBackoff = maxBackoff
			so.RateLimiter = ratelimit.None
		})
	})
	return b, nil
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Client returns the underlying S3 client.
func (b *Backend) Client() *awss3.Client { return b.client }

// Bucket returns the bucket name.
func (b *Backend) Bucket() string { return b.bucket }

// Key returns the S3 key of an object name.
func (b *Backend) Key(name string) string { return b.keyPrefix + name }

// url names an object in errors.
func (b *Backend) url(name string) string { return "s3://" + b.bucket + "/" + b.Key(name) }

// Save implements datastore.Backend. Up to MultipartThreshold bytes are read
// into memory and sent with one PutObject (a seekable body, so the SDK can
// sign, checksum and retry it over plain HTTP too); a longer stream is sent
// as a multipart upload, aborted on any error.
func (b *Backend) Save(ctx context.Context, name string, rd io.Reader) error {
	if err := datastore.CheckName(name); err != nil {
		return fmt.Errorf("save: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	src := datastore.ContextReader(ctx, rd)
	var buf bytes.Buffer
	if _, err := io.CopyN(&buf, src, b.threshold+1); err != nil && err != io.EOF {
		return fmt.Errorf("save %s: %w", name, err)
	}
	if int64(buf.Len()) > b.threshold {
		if err := b.saveMultipart(ctx, name, buf.Bytes(), src); err != nil {
			return fmt.Errorf("save %s: %w", name, err)
		}
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	_, err := b.client.PutObject(ctx, &awss3.PutObjectInput{
		Bucket:        &b.bucket,
		Key:           aws.String(b.Key(name)),
		Body:          bytes.NewReader(buf.Bytes()),
		ContentLength: aws.Int64(int64(buf.Len())),
	})
	if err != nil {
		return fmt.Errorf("save %s: put %s: %w", name, b.url(name), err)
	}
	return nil
}

// saveMultipart uploads first followed by the rest of src in parts of
// b.partSize, b.conc at a time, and completes the upload only if every part
// was read and uploaded; otherwise it aborts it, so nothing is stored.
func (b *Backend) saveMultipart(ctx context.Context, name string, first []byte, rest io.Reader) (err error) {
	key := b.Key(name)
	created, err := b.client.CreateMultipartUpload(ctx, &awss3.CreateMultipartUploadInput{
		Bucket: &b.bucket,
		Key:    &key,
	})
	if err != nil {
		return fmt.Errorf("create multipart upload %s: %w", b.url(name), err)
	}
	uploadID := created.UploadId
	defer func() {
		if err == nil {
			return
		}
		// Abort even when ctx is cancelled: an unfinished upload keeps its
		// parts (and their storage cost) until aborted or expired by a
		// lifecycle rule.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if _, aerr := b.client.AbortMultipartUpload(actx, &awss3.AbortMultipartUploadInput{
			Bucket: &b.bucket, Key: &key, UploadId: uploadID,
		}); aerr != nil {
			err = fmt.Errorf("%w (abort multipart upload %s: %v)", err, aws.ToString(uploadID), aerr)
		}
	}()

	uctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		parts    []types.CompletedPart
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(e error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = e
		}
		mu.Unlock()
		cancel()
	}
	failed := func() bool {
		mu.Lock()
		defer mu.Unlock()
		return firstErr != nil
	}
	sem := make(chan struct{}, b.conc)
	src := io.MultiReader(bytes.NewReader(first), rest)
	for num := int32(1); !failed(); num++ {
		select {
		case sem <- struct{}{}: // bounds the part buffers in memory
		case <-uctx.Done():
			fail(uctx.Err())
			continue
		}
		part := make([]byte, b.partSize)
		n, rerr := io.ReadFull(src, part)
		if rerr == io.EOF {
			<-sem
			break
		}
		if rerr != nil && rerr != io.ErrUnexpectedEOF {
			<-sem
			fail(rerr)
			break
		}
		if num > maxParts {
			<-sem
			fail(fmt.Errorf("object larger than %d parts of %d bytes", maxParts, b.partSize))
			break
		}
		part = part[:n]
		wg.Go(func() {
			defer func() { <-sem }()
			out, err := b.client.UploadPart(uctx, &awss3.UploadPartInput{
				Bucket:        &b.bucket,
				Key:           &key,
				UploadId:      uploadID,
				PartNumber:    aws.Int32(num),
				Body:          bytes.NewReader(part),
				ContentLength: aws.Int64(int64(n)),
			})
			if err != nil {
				fail(fmt.Errorf("upload part %d of %s: %w", num, b.url(name), err))
				return
			}
			mu.Lock()
			parts = append(parts, types.CompletedPart{
				ETag:           out.ETag,
				PartNumber:     aws.Int32(num),
				ChecksumCRC32:  out.ChecksumCRC32,
				ChecksumCRC32C: out.ChecksumCRC32C,
				ChecksumSHA1:   out.ChecksumSHA1,
				ChecksumSHA256: out.ChecksumSHA256,
			})
			mu.Unlock()
		})
		if rerr == io.ErrUnexpectedEOF {
			break // short last part
		}
	}
	wg.Wait()
	if firstErr != nil {
		// Prefer the caller's cancellation over the failures it caused.
		if cerr := ctx.Err(); cerr != nil && !errors.Is(firstErr, cerr) {
			return fmt.Errorf("%w (%v)", cerr, firstErr)
		}
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	slices.SortFunc(parts, func(x, y types.CompletedPart) int {
		return int(aws.ToInt32(x.PartNumber) - aws.ToInt32(y.PartNumber))
	})
	if _, err := b.client.CompleteMultipartUpload(ctx, &awss3.CompleteMultipartUploadInput{
		Bucket:          &b.bucket,
		Key:             &key,
		UploadId:        uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	}); err != nil {
		return fmt.Errorf("complete multipart upload %s: %w", b.url(name), err)
	}
	return nil
}

// isNotFound reports whether err is S3's answer for a missing object: the
// NoSuchKey or NotFound error codes, or a bare 404 (HEAD responses carry no
// error body). A missing bucket (NoSuchBucket) is not a missing object; on
// HEAD (Stat) it cannot be told apart from one.
func isNotFound(err error) bool {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return true
		case "NoSuchBucket":
			return false
		}
	}
	var respErr *awshttp.ResponseError
	return errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusNotFound
}

// Load implements datastore.Backend.
func (b *Backend) Load(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := datastore.CheckName(name); err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	out, err := b.client.GetObject(ctx, &awss3.GetObjectInput{
		Bucket: &b.bucket,
		Key:    aws.String(b.Key(name)),
	})
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("load %s: %w (%s)", name, datastore.ErrNotFound, b.url(name))
		}
		return nil, fmt.Errorf("load %s: get %s: %w", name, b.url(name), err)
	}
	return out.Body, nil
}

// Remove implements datastore.Backend: one DeleteObject, which S3 answers
// with success for a missing key too.
func (b *Backend) Remove(ctx context.Context, name string) error {
	if err := datastore.CheckName(name); err != nil {
		return fmt.Errorf("remove: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	_, err := b.client.DeleteObject(ctx, &awss3.DeleteObjectInput{
		Bucket: &b.bucket,
		Key:    aws.String(b.Key(name)),
	})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("remove %s: delete %s: %w", name, b.url(name), err)
	}
	return nil
}

// Stat implements datastore.Backend.
func (b *Backend) Stat(ctx context.Context, name string) (int64, error) {
	if err := datastore.CheckName(name); err != nil {
		return 0, fmt.Errorf("stat: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("stat %s: %w", name, err)
	}
	out, err := b.client.HeadObject(ctx, &awss3.HeadObjectInput{
		Bucket: &b.bucket,
		Key:    aws.String(b.Key(name)),
	})
	if err != nil {
		if isNotFound(err) {
			return 0, fmt.Errorf("stat %s: %w (%s)", name, datastore.ErrNotFound, b.url(name))
		}
		return 0, fmt.Errorf("stat %s: head %s: %w", name, b.url(name), err)
	}
	return aws.ToInt64(out.ContentLength), nil
}

// List implements datastore.Backend with ListObjectsV2, page by page. S3
// returns keys in ascending UTF-8 binary order, which is the lexical byte
// order of names. Keys below the prefix that are not valid object names
// (such as "dir/" folder markers made by consoles) are skipped.
func (b *Backend) List(ctx context.Context, prefix string, fn func(name string, size int64) error) error {
	if strings.HasPrefix(prefix, "/") || strings.Contains(prefix, "..") {
		return fmt.Errorf("list %q: invalid prefix", prefix)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("list %q: %w", prefix, err)
	}
	pages := awss3.NewListObjectsV2Paginator(b.client, &awss3.ListObjectsV2Input{
		Bucket: &b.bucket,
		Prefix: aws.String(b.keyPrefix + prefix),
	})
	last := ""
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list %q in s3://%s/%s: %w", prefix, b.bucket, b.keyPrefix, err)
		}
		for _, obj := range page.Contents {
			name, ok := strings.CutPrefix(aws.ToString(obj.Key), b.keyPrefix)
			if !ok || datastore.CheckName(name) != nil {
				continue
			}
			if name <= last && last != "" {
				return fmt.Errorf("list %q: store returned %q after %q: not in lexical order", prefix, name, last)
			}
			last = name
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("list %q: %w", prefix, err)
			}
			if err := fn(name, aws.ToInt64(obj.Size)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Dirs lists one level with the "/" delimiter: the common prefixes below
// prefix, in lexical order.
func (b *Backend) Dirs(ctx context.Context, prefix string, fn func(elem string) error) error {
	if prefix != "" && (!strings.HasSuffix(prefix, "/") || datastore.CheckName(strings.TrimSuffix(prefix, "/")) != nil) {
		return fmt.Errorf("list directories of %q: invalid prefix; use \"\" or slash-separated elements ending in \"/\"", prefix)
	}
	pages := awss3.NewListObjectsV2Paginator(b.client, &awss3.ListObjectsV2Input{
		Bucket:    &b.bucket,
		Prefix:    aws.String(b.keyPrefix + prefix),
		Delimiter: aws.String("/"),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list directories of %q in s3://%s/%s: %w", prefix, b.bucket, b.keyPrefix, err)
		}
		for _, cp := range page.CommonPrefixes {
			rest, ok := strings.CutPrefix(aws.ToString(cp.Prefix), b.keyPrefix+prefix)
			elem := strings.TrimSuffix(rest, "/")
			if !ok || elem == "" || strings.Contains(elem, "/") || datastore.CheckName(elem) != nil {
				continue
			}
			if err := fn(elem); err != nil {
				return err
			}
		}
	}
	return nil
}
