package flowimage

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Base is a base image, resolved once: the flow binary is put on its image
// for each architecture, and the deployment names it by digest.
type Base struct {
	Ref    string // as the user wrote it
	Pinned string // repository@sha256:..., the digest Ref had when resolved
	idx    v1.ImageIndex
	img    v1.Image
	archs  []Arch // what it offers
}

// ResolveBase reads the base image ref (a tag or a digest) from its
// registry and checks that it offers a linux image for every architecture
// of archs.
func ResolveBase(ctx context.Context, ref string, archs []Arch, opts ...remote.Option) (*Base, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, fmt.Errorf("base image %q: %v; name an image such as public.ecr.aws/docker/library/python:3.12-slim", ref, err)
	}
	opts = append(opts, remote.WithContext(ctx))
	desc, err := remote.Get(r, opts...)
	if err != nil {
		return nil, fmt.Errorf("read base image %s: %w", ref, err)
	}
	b := &Base{Ref: ref, Pinned: r.Context().Digest(desc.Digest.String()).String()}
	have := map[Arch]bool{}
	if desc.MediaType.IsIndex() {
		if b.idx, err = desc.ImageIndex(); err != nil {
			return nil, fmt.Errorf("read base image %s: %w", ref, err)
		}
		m, err := b.idx.IndexManifest()
		if err != nil {
			return nil, fmt.Errorf("read base image %s: %w", ref, err)
		}
		for _, d := range m.Manifests {
			if d.Platform != nil && d.Platform.OS == "linux" {
				if a, err := ParseArch(d.Platform.Architecture); err == nil {
					have[a] = true
				}
			}
		}
	} else {
		if b.img, err = desc.Image(); err != nil {
			return nil, fmt.Errorf("read base image %s: %w", ref, err)
		}
		cf, err := b.img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("read base image %s: %w", ref, err)
		}
		if a, err := ParseArch(cf.Architecture); err == nil && cf.OS == "linux" {
			have[a] = true
		}
	}
	b.archs = SortArchs(have)
	for _, a := range archs {
		if !have[a] {
			return nil, fmt.Errorf("base image %s has no linux/%s image (it has %s); the job queue runs %s: choose a base image built for it",
				ref, a, JoinArchs(b.archs), JoinArchs(archs))
		}
	}
	return b, nil
}

// image is the base's image for arch.
func (b *Base) image(a Arch) (v1.Image, error) {
	if b.img != nil {
		return b.img, nil
	}
	m, err := b.idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, d := range m.Manifests {
		if d.Platform != nil && d.Platform.OS == "linux" && d.Platform.Architecture == string(a) {
			return b.idx.Image(d.Digest)
		}
	}
	return nil, fmt.Errorf("base image %s has no linux/%s image", b.Ref, a)
}
