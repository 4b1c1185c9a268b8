package ocirun

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Pull reads the image ref (a tag or a digest) from its registry: the
// image itself, or the host's linux/<arch> entry of an image index (an
// image or index for another platform is refused with both platforms
// named). Loopback registries are spoken to over plain HTTP; insecure
// allows plain HTTP to any registry. No credentials are sent. The layers
// are fetched when read, and their digests checked then.
func Pull(ctx context.Context, ref string, insecure bool) (v1.Image, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("image reference %q: %w", ref, err)
	}
	host := hostPlatform()
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithPlatform(host)}
	desc, err := remote.Get(r, ropts...)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, err)
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, fmt.Errorf("pull %s: %w", ref, err)
		}
		m, err := idx.IndexManifest()
		if err != nil {
			return nil, fmt.Errorf("pull %s: %w", ref, err)
		}
		d, err := pickManifest(ref, m, host)
		if err != nil {
			return nil, err
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("pull %s: %s entry %s: %w", ref, platformName(host), d.Digest, err)
		}
		return checkedImage(ref, img, host)
	}
	img, err := desc.Image()
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, err)
	}
	return checkedImage(ref, img, host)
}

// checkedImage returns img once its config is read and names no other
// platform than host.
func checkedImage(ref string, img v1.Image, host v1.Platform) (v1.Image, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("pull %s: config: %w", ref, err)
	}
	if err := checkPlatform(ref, cf, host); err != nil {
		return nil, err
	}
	return img, nil
}
