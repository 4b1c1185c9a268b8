package flowimage

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Push writes the image to the repository repo (registry/path, no tag)
// unless the repository already holds its digest. It returns the image's
// reference by digest (repo@sha256:...) and whether it wrote anything.
func Push(ctx context.Context, repo string, im *Image, opts ...remote.Option) (ref string, pushed bool, err error) {
	r, err := name.NewRepository(repo)
	if err != nil {
		return "", false, fmt.Errorf("image repository %q: %v; use the URI of an ECR repository (the template's output ImageRepositoryUri)", repo, err)
	}
	d := r.Digest(im.Digest.String())
	opts = append(opts, remote.WithContext(ctx))
	if _, err := remote.Head(d, opts...); err == nil {
		return d.String(), false, nil
	}
	if im.idx != nil {
		err = remote.WriteIndex(d, im.idx, opts...)
	} else {
		err = remote.Write(d, im.img, opts...)
	}
	if err != nil {
		return "", false, fmt.Errorf("push the flow image to %s: %w", repo, err)
	}
	return d.String(), true, nil
}
