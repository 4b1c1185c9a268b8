package ocirun

import (
	"fmt"
	"runtime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// hostPlatform is the platform this host runs images of: linux and the
// architecture of this program.
func hostPlatform() v1.Platform {
	return v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
}

// pickManifest returns the entry of an image index that runs on host, the
// first one as a container runtime takes it. An index without one is
// refused with the platforms it offers, as Docker refuses it ("no
// matching manifest").
func pickManifest(ref string, idx *v1.IndexManifest, host v1.Platform) (v1.Descriptor, error) {
	var offered []string
	for _, d := range idx.Manifests {
		if d.Platform == nil {
			offered = append(offered, "unknown")
			continue
		}
		if d.MediaType.IsImage() && d.Platform.Satisfies(host) {
			return d, nil
		}
		offered = append(offered, platformName(*d.Platform))
	}
	if len(offered) == 0 {
		return v1.Descriptor{}, fmt.Errorf("image %s is an empty index: no matching manifest for %s", ref, platformName(host))
	}
	return v1.Descriptor{}, fmt.Errorf("image %s offers %s, not this host's %s: no matching manifest",
		ref, strings.Join(offered, ", "), platformName(host))
}

// checkPlatform refuses a single image built for another platform (on
// AWS its process fails with "exec format error"). An image whose config
// names no platform is run, as Docker runs it.
func checkPlatform(ref string, cf *v1.ConfigFile, host v1.Platform) error {
	if cf.OS == "" && cf.Architecture == "" {
		return nil
	}
	got := v1.Platform{OS: cf.OS, Architecture: cf.Architecture, Variant: cf.Variant}
	if got.Satisfies(host) {
		return nil
	}
	return fmt.Errorf("image %s is %s, not this host's %s: exec format error", ref, platformName(got), platformName(host))
}

// platformName is os/arch[/variant], with "?" for a missing part.
func platformName(p v1.Platform) string {
	osName, arch := p.OS, p.Architecture
	if osName == "" {
		osName = "?"
	}
	if arch == "" {
		arch = "?"
	}
	s := osName + "/" + arch
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}
