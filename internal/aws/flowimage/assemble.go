package flowimage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// DefaultPath is the PATH of an image on the empty base: Docker's default.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Image is a flow image: one image for one architecture, or an image index
// with one image per architecture.
type Image struct {
	Archs  []Arch
	Digest v1.Hash
	Size   int64 // bytes of every layer, compressed, and manifests: what a pull moves
	img    v1.Image
	idx    v1.ImageIndex
}

// Assemble makes the flow image of flow from one binary per architecture,
// on base (nil: the empty base). Equal inputs give an equal digest.
func Assemble(flow string, bins []*Binary, base *Base) (*Image, error) {
	return assemble(flow, bins, base, "")
}

func assemble(flow string, bins []*Binary, base *Base, cache LayerCache) (*Image, error) {
	if len(bins) == 0 {
		return nil, fmt.Errorf("flow image of %s: no binary", flow)
	}
	imgs := make([]v1.Image, len(bins))
	var archs []Arch
	for i, b := range bins {
		img, err := archImage(flow, b, base, cache)
		if err != nil {
			return nil, err
		}
		imgs[i] = img
		archs = append(archs, b.Arch)
	}
	im := &Image{Archs: archs}
	if len(imgs) == 1 {
		im.img = imgs[0]
	} else {
		idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
		for i, img := range imgs {
			idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
				Platform: platform(bins[i].Arch)}})
		}
		im.idx = idx
	}
	var err error
	if im.Digest, err = im.digest(); err != nil {
		return nil, fmt.Errorf("flow image of %s: %w", flow, err)
	}
	if im.Size, err = im.size(imgs); err != nil {
		return nil, fmt.Errorf("flow image of %s: %w", flow, err)
	}
	return im, nil
}

func (im *Image) digest() (v1.Hash, error) {
	if im.idx != nil {
		return im.idx.Digest()
	}
	return im.img.Digest()
}

func (im *Image) size(imgs []v1.Image) (int64, error) {
	var n int64
	for _, img := range imgs {
		m, err := img.Manifest()
		if err != nil {
			return 0, err
		}
		n += m.Config.Size
		for _, l := range m.Layers {
			n += l.Size
		}
		raw, err := img.RawManifest()
		if err != nil {
			return 0, err
		}
		n += int64(len(raw))
	}
	return n, nil
}

// Image returns the image for arch.
func (im *Image) Image(arch Arch) (v1.Image, error) {
	if im.idx == nil {
		if len(im.Archs) == 1 && im.Archs[0] == arch {
			return im.img, nil
		}
		return nil, fmt.Errorf("the image is built for %s, not %s", JoinArchs(im.Archs), arch)
	}
	m, err := im.idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	for _, d := range m.Manifests {
		if d.Platform != nil && d.Platform.Architecture == string(arch) {
			return im.idx.Image(d.Digest)
		}
	}
	return nil, fmt.Errorf("the image index has no %s image", arch)
}

func platform(a Arch) *v1.Platform {
	p := &v1.Platform{OS: "linux", Architecture: string(a)}
	if a == ARM64 {
		p.Variant = "v8"
	}
	return p
}

// archImage puts the binary on the base's image for its architecture.
func archImage(flow string, b *Binary, base *Base, cache LayerCache) (v1.Image, error) {
	var img v1.Image
	layerType := types.OCILayer
	if base == nil {
		img = mutate.MediaType(empty.Image, types.OCIManifestSchema1)
		img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	} else {
		var err error
		if img, err = base.image(b.Arch); err != nil {
			return nil, err
		}
		mt, err := img.MediaType()
		if err != nil {
			return nil, fmt.Errorf("base image %s: %w", base.Ref, err)
		}
		if mt == types.DockerManifestSchema2 {
			layerType = types.DockerLayer
		}
	}
	tarData, err := layerTar(b.Data, base == nil)
	if err != nil {
		return nil, err
	}
	layer, err := cache.layer(tarData, layerType)
	if err != nil {
		return nil, err
	}
	if img, err = mutate.AppendLayers(img, layer); err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = "linux", string(b.Arch), platform(b.Arch).Variant
	cf.Config.Entrypoint = []string{Entrypoint}
	cf.Config.Cmd = nil
	if base == nil {
		cf.Config.Env = []string{"PATH=" + DefaultPath}
		cf.Config.WorkingDir = "/"
	}
	if cf.Config.Labels == nil {
		cf.Config.Labels = map[string]string{}
	}
	cf.Config.Labels[FlowLabel] = flow
	return mutate.ConfigFile(img, cf)
}

// epoch is the time of every file in the flow layer: the same binary gives
// the same layer.
var epoch = time.Unix(0, 0).UTC()

// layerTar is the flow layer: the binary at Entrypoint and a writable
// /tmp (mode 1777, as on any Linux system); on the empty base also the CA
// roots at CAFile, where Go (and OpenSSL) look for them.
func layerTar(bin []byte, certs bool) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	type entry struct {
		h    tar.Header
		data []byte
	}
	entries := []entry{
		{tar.Header{Name: "stepflow/", Typeflag: tar.TypeDir, Mode: 0o755}, nil},
		{tar.Header{Name: Entrypoint[1:], Typeflag: tar.TypeReg, Mode: 0o755}, bin},
		{tar.Header{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777}, nil},
	}
	if certs {
		entries = append(entries,
			entry{tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755}, nil},
			entry{tar.Header{Name: "etc/ssl/", Typeflag: tar.TypeDir, Mode: 0o755}, nil},
			entry{tar.Header{Name: "etc/ssl/certs/", Typeflag: tar.TypeDir, Mode: 0o755}, nil},
			entry{tar.Header{Name: CAFile[1:], Typeflag: tar.TypeReg, Mode: 0o644}, caRoots()})
	}
	for _, e := range entries {
		h := e.h
		h.ModTime, h.Format, h.Size = epoch, tar.FormatPAX, int64(len(e.data))
		if err := tw.WriteHeader(&h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
