package datastore_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"

	"github.com/stepflow/stepflow/internal/datastore"
)

// memBackend holds objects in memory: enough Backend for reading blobs.
type memBackend map[string][]byte

func (m memBackend) Save(_ context.Context, name string, rd io.Reader) error {
	b, err := io.ReadAll(rd)
	if err == nil {
		m[name] = b
	}
	return err
}

func (m memBackend) Load(_ context.Context, name string) (io.ReadCloser, error) {
	b, ok := m[name]
	if !ok {
		return nil, datastore.ErrNotFound
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (m memBackend) Stat(_ context.Context, name string) (int64, error) {
	b, ok := m[name]
	if !ok {
		return 0, datastore.ErrNotFound
	}
	return int64(len(b)), nil
}

func (m memBackend) List(context.Context, string, func(string, int64) error) error { return nil }
func (m memBackend) Dirs(context.Context, string, func(string) error) error        { return nil }
func (m memBackend) Remove(_ context.Context, name string) error                   { delete(m, name); return nil }

// FuzzBlobRead stores arbitrary bytes as the object of a blob and reads it
// with Blobs.Get, Blobs.Open and Blobs.Verify: each returns exactly the content
// whose SHA-256 names the blob, or an error wrapping ErrCorrupt; never
// other data, never a panic. A record reader gets the same bytes as a
// record and must report them as damaged unless their checksum holds.
func FuzzBlobRead(f *testing.F) {
	ctx := context.Background()
	content := []byte("the content every seed blob holds, repeated: the content every seed blob holds")
	hash := datastore.BlobHash(content)
	m := memBackend{}
	s := datastore.NewStore(m, "F")
	if _, err := s.Blobs().Put(ctx, content); err != nil {
		f.Fatal(err)
	}
	// The same content compressed (Blobs.Put stores small blobs raw).
	m["F/blobs/"+hash[:2]+"/"+hash+".s2"] = datastore.EncodeBlobS2(content)
	for _, b := range m {
		f.Add(b)
		f.Add(b[:len(b)-1])
		flipped := bytes.Clone(b)
		flipped[len(flipped)/2] ^= 1
		f.Add(flipped)
	}
	f.Add([]byte{})
	f.Add([]byte("SFB1"))
	f.Fuzz(func(t *testing.T, stored []byte) {
		m := memBackend{"F/blobs/" + hash[:2] + "/" + hash: stored}
		s := datastore.NewStore(m, "F")
		data, err := s.Blobs().Get(ctx, hash)
		if err == nil && !bytes.Equal(data, content) {
			t.Fatalf("Blobs.Get returned other data: %q", data)
		}
		if err != nil && !errors.Is(err, datastore.ErrCorrupt) {
			t.Fatalf("Blobs.Get: %v, want ErrCorrupt", err)
		}
		rc, _, err := s.Blobs().Open(ctx, hash)
		if err == nil {
			h := sha256.New()
			_, err = io.Copy(h, rc)
			rc.Close()
			if err == nil && hex.EncodeToString(h.Sum(nil)) != hash {
				t.Fatal("Blobs.Open read other data to io.EOF")
			}
		}
		if err != nil && !errors.Is(err, datastore.ErrCorrupt) {
			t.Fatalf("Blobs.Open: %v, want ErrCorrupt", err)
		}
		m["F/runs/r/run.json"] = stored
		if _, _, err := s.Runs().Get(ctx, "r"); err != nil && !errors.Is(err, datastore.ErrCorrupt) {
			t.Fatalf("Run of arbitrary bytes: %v, want ErrCorrupt", err)
		}
	})
}
