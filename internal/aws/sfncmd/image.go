package sfncmd

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/stepflow/stepflow/internal/aws/deploy"
	"github.com/stepflow/stepflow/internal/aws/flowimage"
	"github.com/stepflow/stepflow/internal/aws/statemachine"
	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/flowcmd"
	"github.com/stepflow/stepflow/internal/usage"
)

// imageOptions are the flags that choose what goes into the flow image.
type imageOptions struct {
	binary string // a prebuilt linux binary of the flow; "": cross-compile
	arch   string // "": the job queues' architectures
}

func (o *imageOptions) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.binary, "code-package", "", "put this prebuilt static linux binary of the flow (AWS build) in the image instead of cross-compiling the flow")
	fs.StringVar(&o.arch, "arch", "", "architectures of the image: amd64, arm64 or amd64,arm64 (default: those of the job queues' compute environments; amd64 without them)")
}

// pushImages builds and pushes the flow images f needs for archs: the
// flow's (on s.BaseImage) unless s.Image names it already, and one per
// base image that steps name (stepflow.Batch{Image: ...}). It prints one
// line per image on env.Stdout.
func pushImages(ctx context.Context, env *command.Env, f *flowcmd.Flow, s statemachine.Settings, o imageOptions, need deploy.QueueArchs, p *deploy.Progress) (string, map[string]string, error) {
	own := stepBases(f)
	bases := maps.Clone(own)
	if s.Image == "" {
		bases[s.BaseImage] = true
	}
	if len(bases) == 0 {
		return s.Image, nil, nil
	}
	if s.ImageRepository == "" {
		return "", nil, usage.Wrap(&statemachine.MissingError{Flow: f.Def.Name, Doing: "have its image pushed", Missing: []statemachine.Missing{
			{Flag: "image-repository", Why: "the container repository (ECR) the flow image is pushed to: the template's output ImageRepositoryUri"}}})
	}
	archs, err := chooseArchs(o, need)
	if err != nil {
		return "", nil, err
	}
	bins, err := binaries(ctx, o, archs, need, p)
	if err != nil {
		return "", nil, err
	}
	opts := []remote.Option{remote.WithAuthFromKeychain(flowimage.NewKeychain(ctx, ecrClients(ctx, s)))}
	image, steps := s.Image, map[string]string{}
	for _, base := range slices.Sorted(maps.Keys(bases)) {
		var b *flowimage.Base
		from := "the empty base"
		if base != "" {
			p.Phase("push", "resolving base image %s, then pushing the flow image on it to %s", base, s.ImageRepository)
		} else {
			p.Phase("push", "pushing the flow image to %s", s.ImageRepository)
		}
		if base != "" {
			if b, err = flowimage.ResolveBase(ctx, base, archs, opts...); err != nil {
				return "", nil, usage.Wrap(err)
			}
			from = "base " + b.Pinned
		}
		im, err := flowimage.DefaultLayerCache().Assemble(f.Def.Name, bins, b)
		if err != nil {
			return "", nil, err
		}
		ref, pushed, err := flowimage.Push(ctx, s.ImageRepository, im, opts...)
		if err != nil {
			return "", nil, err
		}
		fmt.Fprintf(env.Stdout, "image %s: %s (%s, on %s, %.1f MiB)\n", ref, map[bool]string{true: "pushed", false: "unchanged"}[pushed],
			flowimage.JoinArchs(im.Archs), from, float64(im.Size)/(1<<20))
		if base == s.BaseImage && s.Image == "" {
			image = ref
		}
		if own[base] {
			steps[base] = ref
		}
	}
	return image, steps, nil
}

// chooseArchs is --arch, checked against what the job queues run, or what
// they run.
func chooseArchs(o imageOptions, need deploy.QueueArchs) ([]flowimage.Arch, error) {
	if o.arch == "" {
		return need.Archs(), nil
	}
	archs, err := flowimage.ParseArchs(o.arch)
	if err != nil {
		return nil, usage.Errorf("--arch: %v", err)
	}
	for _, a := range need.Archs() {
		if len(need[a]) > 0 && !slices.Contains(archs, a) {
			return nil, usage.Errorf("--arch %s leaves out %s, which %s runs; the jobs placed there would fail with \"exec format error\": use --arch %s, or leave --arch out",
				o.arch, a, need.Why(a), joinComma(need.Archs()))
		}
	}
	return archs, nil
}

// binaries are the flow's binaries for archs: the prebuilt one, or the
// flow cross-compiled for each.
func binaries(ctx context.Context, o imageOptions, archs []flowimage.Arch, need deploy.QueueArchs, p *deploy.Progress) ([]*flowimage.Binary, error) {
	if o.binary != "" {
		b, err := flowimage.ReadBinary(o.binary)
		if err != nil {
			return nil, usage.Errorf("--code-package: %v", err)
		}
		for _, a := range archs {
			if a != b.Arch {
				why := need.Why(a)
				if len(need[a]) == 0 && o.arch != "" {
					why = "--arch " + o.arch
				}
				return nil, usage.Errorf("--code-package %s is built for %s, but the image needs %s (%s); build it with GOOS=linux GOARCH=%s CGO_ENABLED=0, or leave --code-package out to cross-compile the flow for every architecture",
					o.binary, b.Arch, a, why, a)
			}
		}
		return []*flowimage.Binary{b}, nil
	}
	pkg, err := flowimage.MainPackage()
	if err != nil {
		return nil, usage.Errorf("build the flow image: %v; or give a prebuilt static linux binary with --code-package FILE", err)
	}
	var bins []*flowimage.Binary
	for _, a := range archs {
		p.Phase("build", "cross-compiling %s for linux/%s", pkg, a)
		b, err := flowimage.Build(ctx, "", pkg, a)
		if err != nil {
			return nil, usage.Errorf("build the flow image: %v; run the command from inside the flow's module, or give a prebuilt static linux binary with --code-package FILE", err)
		}
		bins = append(bins, b)
	}
	return bins, nil
}

// joinComma writes architectures as --arch takes them: "amd64,arm64".
func joinComma(as []flowimage.Arch) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	return strings.Join(s, ",")
}

// ecrClients makes the ECR client of a registry's region, with the
// settings' credentials and ECR endpoint.
func ecrClients(ctx context.Context, s statemachine.Settings) func(string) (flowimage.ECRAPI, error) {
	return func(region string) (flowimage.ECRAPI, error) {
		s.Region = region
		c, err := deploy.NewClients(ctx, s, deploy.ClientOptions{})
		if err != nil {
			return nil, err
		}
		return c.ECR(region), nil
	}
}

func cmdSFNImage(f *flowcmd.Flow) *command.Command {
	var flags statemachine.Settings
	var o imageOptions
	return &command.Command{
		Name:      "image",
		UsageLine: "image [--image-repository URI] [--base-image REF] [--arch LIST] [--code-package FILE]",
		Short:     "build the flow's container image and push it",
		Long: `Image builds the flow's own container image and pushes it to the image
repository, as create does, and prints each image's reference by digest:
the flow binary (cross-compiled for linux, static, the AWS build) as the
ENTRYPOINT, on an empty base or on --base-image, with a writable /tmp. Steps
that name a base image of their own (stepflow.Batch{Image: ...}) get one image
per base. An image the repository already holds is not pushed again.

'create --image REF' then deploys exactly that image. Without --arch the
image is built for amd64; create itself reads the job queues' compute
environments and builds for the architectures they run. See docs/deploy.md,
"The flow image".`,
		Flags: func(fs *flag.FlagSet) {
			o.flags(fs)
			settingFlags(fs, &flags, nil)
		},
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			if len(args) > 0 {
				return usage.Errorf("step-functions image takes no arguments, got %q", args)
			}
			s, err := loadSettings(env, flags)
			if err != nil {
				return err
			}
			s.Image = ""
			progress := deploy.NewProgress(env.Stderr, env.Args0+": image: ", nil)
			_, _, err = pushImages(ctx, env, f, s, o, deploy.QueueArchs{}, progress)
			if err == nil {
				progress.Done()
			}
			return err
		},
	}
}

// stepBases are the base images steps of f name, each once.
func stepBases(f *flowcmd.Flow) map[string]bool {
	out := map[string]bool{}
	for _, st := range f.Def.Steps {
		if b := st.Options.Batch.Image; b != "" {
			out[b] = true
		}
	}
	return out
}
