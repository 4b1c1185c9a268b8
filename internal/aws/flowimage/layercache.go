package flowimage

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// LayerCache is a directory of compressed flow layers, each named by the
// SHA-256 of its tar (the layer's DiffID) and of its gzip bytes (its
// digest): a binary put in an image again is not compressed again, so an
// unchanged create or image command spends no time on it. The empty
// LayerCache keeps nothing. An entry is checked against its digest when
// read; one unused for layerCacheAge is removed.
type LayerCache string

// layerCacheAge is how long an unused entry stays.
const layerCacheAge = 14 * 24 * time.Hour

// DefaultLayerCache is the user's cache directory's stepflow/layers
// ($XDG_CACHE_HOME, else ~/.cache, on Linux), or none when the user has
// no cache directory.
func DefaultLayerCache() LayerCache {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return LayerCache(filepath.Join(dir, "stepflow", "layers"))
}

// Assemble is the package's Assemble, its layers taken from the cache
// when there.
func (c LayerCache) Assemble(flow string, bins []*Binary, base *Base) (*Image, error) {
	return assemble(flow, bins, base, c)
}

// layer returns the gzip layer of a tar, of media type mt.
func (c LayerCache) layer(tarData []byte, mt types.MediaType) (v1.Layer, error) {
	sum := sha256.Sum256(tarData)
	diffID := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	if l := c.get(diffID, mt); l != nil {
		return partial.CompressedToLayer(l)
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(tarData); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	l := newCompressedLayer(gz.Bytes(), diffID, mt)
	c.put(l)
	return partial.CompressedToLayer(l)
}

// get returns the cached layer of diffID, or nil.
func (c LayerCache) get(diffID v1.Hash, mt types.MediaType) *compressedLayer {
	if c == "" {
		return nil
	}
	names, _ := filepath.Glob(filepath.Join(string(c), diffID.Hex+".*.gz"))
	for _, name := range names {
		digest := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(name), diffID.Hex+"."), ".gz")
		gz, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		if sum := sha256.Sum256(gz); hex.EncodeToString(sum[:]) != digest {
			os.Remove(name) // damaged: compressed again below
			continue
		}
		now := time.Now()
		os.Chtimes(name, now, now) // used: kept
		return newCompressedLayer(gz, diffID, mt)
	}
	return nil
}

// put stores l, written whole or not at all, and removes entries unused
// for layerCacheAge. A cache that cannot be written only costs the next
// compression: its errors are not the command's.
func (c LayerCache) put(l *compressedLayer) {
	if c == "" || os.MkdirAll(string(c), 0o755) != nil {
		return
	}
	name := filepath.Join(string(c), fmt.Sprintf("%s.%s.gz", l.diffID.Hex, l.digest.Hex))
	f, err := os.CreateTemp(string(c), ".tmp-*")
	if err != nil {
		return
	}
	_, werr := f.Write(l.gz)
	if cerr := f.Close(); werr != nil || cerr != nil || os.Rename(f.Name(), name) != nil {
		os.Remove(f.Name())
		return
	}
	ents, _ := os.ReadDir(string(c))
	for _, e := range ents {
		if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > layerCacheAge {
			os.Remove(filepath.Join(string(c), e.Name()))
		}
	}
}

// compressedLayer is a layer's gzip bytes in memory, its digests known;
// partial.CompressedToLayer makes it a v1.Layer.
type compressedLayer struct {
	gz             []byte
	digest, diffID v1.Hash
	mt             types.MediaType
}

func newCompressedLayer(gz []byte, diffID v1.Hash, mt types.MediaType) *compressedLayer {
	sum := sha256.Sum256(gz)
	return &compressedLayer{gz: gz, digest: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}, diffID: diffID, mt: mt}
}

func (l *compressedLayer) Digest() (v1.Hash, error) { return l.digest, nil }
func (l *compressedLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }
func (l *compressedLayer) Size() (int64, error)     { return int64(len(l.gz)), nil }
func (l *compressedLayer) MediaType() (types.MediaType, error) {
	return l.mt, nil
}
func (l *compressedLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.gz)), nil
}
