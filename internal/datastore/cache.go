package datastore

import (
	"context"
	"fmt"
	"time"
)

// CacheEntry is one entry of a flow's step cache, at
// "<flow>/cache/<key[:2]>/<key>.json": the succeeded attempt that a task
// with this cache key may reuse instead of running (docs/runtime.md,
// "Step caching").
type CacheEntry struct {
	Key     string    `json:"key"` // 64 hex digits (SHA-256)
	Run     string    `json:"run"`
	Step    string    `json:"step"`
	Task    string    `json:"task"`
	Attempt int       `json:"attempt"`
	Created time.Time `json:"created"`
}

// Pathspec returns the entry's attempt as "run/step/task/attempt".
func (e CacheEntry) Pathspec() string {
	return fmt.Sprintf("%s/%s/%s/%d", e.Run, e.Step, e.Task, e.Attempt)
}

// Cache holds a flow's step cache: one record per cache key, naming the
// succeeded attempt stored under it. An entry is written with one atomic
// Save after its attempt's record, so a reader sees no entry or a whole
// one, never one whose attempt has not finished. Two runs storing the same
// key at once both succeed, and one entry wins (the last Save): both
// name attempts that succeeded with that key, so either serves. A later
// refresh (run --refresh-cache) replaces the entry the same way. It is
// safe for concurrent use.
type Cache struct {
	layout
}

// cacheKey returns "<flow>/cache/<key[:2]>/<key>.json".
func (c *Cache) cacheKey(key string) (string, error) {
	if err := checkElem("flow name", c.flow); err != nil {
		return "", err
	}
	if err := checkHash(key); err != nil {
		return "", fmt.Errorf("invalid cache key: %w", err)
	}
	return c.flow + "/cache/" + key[:2] + "/" + key + ".json", nil
}

// Put stores e under e.Key, replacing any entry there.
func (c *Cache) Put(ctx context.Context, e CacheEntry) error {
	name, err := c.cacheKey(e.Key)
	if err != nil {
		return fmt.Errorf("put cache entry: %w", err)
	}
	return c.putJSON(ctx, name, e)
}

// Get returns the entry stored under key: a missing one wraps
// ErrNotFound, a damaged one ErrCorrupt.
func (c *Cache) Get(ctx context.Context, key string) (CacheEntry, error) {
	name, err := c.cacheKey(key)
	if err != nil {
		return CacheEntry{}, fmt.Errorf("get cache entry: %w", err)
	}
	var e CacheEntry
	if err := c.getJSON(ctx, name, &e); err != nil {
		return CacheEntry{}, err
	}
	if e.Key != key {
		return CacheEntry{}, fmt.Errorf("get %s: %w: it holds key %q", name, ErrCorrupt, e.Key)
	}
	return e, nil
}

// Intact reports whether the blob hash, of size uncompressed bytes, can be
// trusted without reading it all: it exists, and its header and length
// agree (and, below 64 KiB, its content hashes to it), as Put checks a
// blob before it skips writing it. A damaged or missing blob is not
// intact.
func (bl *Blobs) Intact(ctx context.Context, hash string, size int64) (bool, error) {
	if err := checkHash(hash); err != nil {
		return false, fmt.Errorf("check blob: %w", err)
	}
	return bl.blobIntact(ctx, hash, size)
}
