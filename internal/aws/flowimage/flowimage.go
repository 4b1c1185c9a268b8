// Package flowimage builds a flow's own container image and pushes it to a
// registry: the flow program cross-compiled to a static linux binary (one
// per architecture the job queues run), put as the image's ENTRYPOINT on an
// empty base (or on a base image the user names), with a writable /tmp.
// No Docker is involved: the image is assembled from its layers with
// go-containerregistry, as ko does. The same binary gives the same image
// digest, so an unchanged deploy pushes nothing, and job definitions name
// the image by digest: a deployment runs exactly the code it was created
// with.
//
// The image holds nothing but the binary: no shell, no aws CLI, no package
// manager. On the empty base it also holds CA roots (CAFile), for the
// binary's TLS connections to AWS.
package flowimage

import (
	"fmt"
	"sort"
	"strings"
)

// Entrypoint is where the flow binary lives in its image, and the image's
// ENTRYPOINT: a job definition's command (["step"]) is its argument list.
const Entrypoint = "/stepflow/flow"

// FlowLabel is the image label that names the flow.
const FlowLabel = "io.stepflow.flow"

// Arch is a CPU architecture in Go's spelling: "amd64" or "arm64".
type Arch string

// The architectures AWS Batch runs.
const (
	AMD64 Arch = "amd64"
	ARM64 Arch = "arm64"
)

// ParseArch reads an architecture name in Go's or AWS's spelling.
func ParseArch(s string) (Arch, error) {
	switch strings.ToLower(s) {
	case "amd64", "x86_64", "x86-64":
		return AMD64, nil
	case "arm64", "aarch64":
		return ARM64, nil
	}
	return "", fmt.Errorf("architecture %q is not supported; use amd64 or arm64", s)
}

// ParseArchs reads a comma-separated list of architectures ("amd64",
// "amd64,arm64"), sorted and without repeats.
func ParseArchs(s string) ([]Arch, error) {
	seen := map[Arch]bool{}
	for _, part := range strings.Split(s, ",") {
		a, err := ParseArch(strings.TrimSpace(part))
		if err != nil {
			return nil, err
		}
		seen[a] = true
	}
	return SortArchs(seen), nil
}

// SortArchs returns the set's architectures in order.
func SortArchs(set map[Arch]bool) []Arch {
	out := make([]Arch, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// JoinArchs writes architectures as a list for messages: "amd64 and arm64".
func JoinArchs(as []Arch) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = string(a)
	}
	switch len(s) {
	case 0:
		return "none"
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
