package flowimage

import (
	"bytes"
	"encoding/pem"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// CAFile is where an image on the empty base holds its CA roots: the first
// place Go's crypto/x509 (and OpenSSL) look on Linux.
const CAFile = "/etc/ssl/certs/ca-certificates.crt"

// caRoots are the roots of the NSS trust store (Mozilla's, as shipped by
// golang.org/x/crypto/x509roots) as a PEM bundle. Roots with constraints
// a PEM file cannot carry (a distrust-after date) are left out rather
// than trusted without them. The flow binary reads the file only when it
// first verifies a TLS certificate, so a task pays nothing at start.
func caRoots() []byte {
	var buf bytes.Buffer
	for r := range bundle.Roots() {
		if r.Constraint != nil {
			continue
		}
		pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: r.Certificate})
	}
	return buf.Bytes()
}
