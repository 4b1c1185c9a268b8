package flow

import "time"

// Options are a step's per-step settings, the equivalents of Metaflow's
// decorators. None of them depends on AWS; the compiler maps them later.
type Options struct {
	Retry     *Retry            // nil: no retry
	Catch     string            // field that receives the error; empty: no catch
	Timeout   time.Duration     // zero: no timeout
	Env       map[string]string // extra environment variables of the task
	Resources Resources
	Batch     Batch
	// Drop names the fields a join leaves at their zero value on purpose
	// when its inputs disagree on them (joins only).
	Drop []string
	// Secrets are the step's own secrets (Flow.Secrets are every step's).
	Secrets []Secret
	// OnBatch runs the step's tasks as AWS Batch jobs in a local run
	// (run --with batch runs every step so).
	OnBatch bool
	// Cache, when set, lets a run reuse a succeeded task of an earlier run
	// whose cache key is the same (docs/runtime.md, "Step caching").
	Cache *Cache
}

// Cache is a step's cross-run caching. A task's cache key covers the step
// and its options, the flow's code, every artifact the task inherits, the
// run's parameters and configs (start step) and a foreach body's item and
// index.
type Cache struct {
	// Version, when set, stands for the flow's code in the key: a
	// rebuilt binary with the same Version reuses the entries of the
	// previous one. Empty: the flow binary's own identity (any change to
	// the binary invalidates).
	Version string
}

// Retry says how often and how soon a failed task is tried again.
type Retry struct {
	Times   int           // retries after the first attempt (0..MaxRetries)
	Delay   time.Duration // wait before the first retry
	Backoff float64       // multiplier applied to Delay after each retry; 0 or 1: constant
}

// MaxRetries is the largest retry count, Stepflow's own bound, the same
// for local and cloud runs. On AWS the retries are Step Functions Retry
// attempts, each a new SubmitJob; AWS Batch's own retry strategy is fixed at
// one attempt, so its limit of 10 attempts does not bound them.
const MaxRetries = 9

// Default resources of a step that gives none: what its AWS Batch job
// definition requests.
const (
	DefaultCPU       = 1.0
	DefaultMemoryMiB = 4096
)

// MaxTimeout is the largest step timeout, the lifetime of a Step Functions
// standard execution (one year).
const MaxTimeout = 365 * 24 * time.Hour

// DelayFor returns the wait before retry number n (1-based).
func (r *Retry) DelayFor(n int) time.Duration {
	d := float64(r.Delay)
	if r.Backoff > 1 {
		for i := 1; i < n; i++ {
			d *= r.Backoff
		}
	}
	return time.Duration(d)
}

// Resources is what a task needs from the machine it runs on. Sizes are
// strings with a binary or decimal unit ("512MiB", "8GiB", "2GB") or a plain
// number of MiB ("4096").
type Resources struct {
	CPU          float64 // vCPUs; fractions are allowed on Fargate
	Memory       string  // memory limit
	GPU          int     // number of GPUs
	SharedMemory string  // /dev/shm size
	Disk         string  // ephemeral storage (Fargate) or scratch space
}

// Batch holds AWS Batch settings of a step. They have no effect on local
// runs.
type Batch struct {
	Image         string            // container image
	Queue         string            // job queue name or ARN
	JobRole       string            // IAM role ARN the task assumes
	ExecutionRole string            // IAM role ARN for ECS (required on Fargate)
	Platform      string            // "EC2" (default) or "FARGATE"
	Tmpfs         []Tmpfs           // tmpfs mounts (EC2 only)
	EFS           []EFSVolume       // EFS volumes
	HostVolumes   []HostVolume      // host paths mounted into the container (EC2 only)
	Swap          string            // max swap size (EC2 only)
	Swappiness    *int              // 0..100 (EC2 only)
	LogDriver     string            // e.g. "awslogs"
	LogOptions    map[string]string // options of the log driver
	Tags          map[string]string // tags of the job
	Inferentia    int               // number of AWS Inferentia devices
	Trainium      int               // number of AWS Trainium devices
	EFA           int               // number of Elastic Fabric Adapter devices
	Privileged    bool              // run the container privileged (EC2 only)
}

// Tmpfs is one tmpfs mount.
type Tmpfs struct {
	Path string   // mount point in the container
	Size string   // size, e.g. "1GiB"
	Opts []string // mount options, e.g. "noexec"
}

// EFSVolume mounts an EFS file system.
type EFSVolume struct {
	FileSystemID string // fs-...
	Path         string // mount point in the container
	RootDir      string // directory of the file system to mount; default "/"
	ReadOnly     bool
}

// HostVolume mounts a path of the host.
type HostVolume struct {
	HostPath string
	Path     string // mount point in the container
	ReadOnly bool
}
