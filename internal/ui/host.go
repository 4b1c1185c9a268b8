package ui

import (
	"fmt"
	"net"
	"net/http"
	"strings"
)

// hostPolicy decides which Host headers the UI answers. A page on another
// origin can reach a server on the loopback interface through a name it
// controls that it points at 127.0.0.1 after the page loaded (DNS
// rebinding); the browser then sends that name as the Host, and the
// same-origin policy lets the page read the answer. So the UI answers a
// request only when its Host is a name the user reaches it by:
// "localhost", an IP address literal (no DNS is involved, so no
// rebinding: the loopback addresses, the address it is bound to, any
// address of the machine), and the names allowed explicitly (--allow-host,
// for a name of the machine when it listens beyond the loopback
// interface). The port is not compared: the rebound name reaches the same
// port.
type hostPolicy struct {
	names map[string]bool // lower case, without a trailing dot
}

// newHostPolicy allows the given names besides localhost and IP literals.
func newHostPolicy(names []string) hostPolicy {
	p := hostPolicy{names: map[string]bool{"localhost": true}}
	for _, n := range names {
		p.names[normalizeHost(n)] = true
	}
	return p
}

// normalizeHost lowers a host name and drops one trailing dot
// ("LocalHost." is "localhost").
func normalizeHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(h), ".")
}

// allows reports whether a request's Host header (host or host:port, an
// IPv6 literal in brackets) names this server.
func (p hostPolicy) allows(hostHeader string) bool {
	h := hostHeader
	if host, _, err := net.SplitHostPort(hostHeader); err == nil {
		h = host
	} else if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if h == "" {
		return false
	}
	if net.ParseIP(h) != nil {
		return true
	}
	// Brackets hold an IPv6 literal, never a name.
	return !strings.HasPrefix(hostHeader, "[") && p.names[normalizeHost(h)]
}

// refuseHost answers a request whose Host the policy does not allow: 421
// Misdirected Request (this server is not the one the name is for), one
// line saying why and how to allow the name.
func refuseHost(w http.ResponseWriter, host string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusMisdirectedRequest)
	fmt.Fprintf(w, "host %q is not a name of this Stepflow UI (a page on another site may be reaching it through DNS rebinding); open it as http://localhost:PORT/ or by IP address, or start it with --allow-host %s\n",
		shortHost(host), shortHost(host))
}

// shortHost cuts a Host header to a length fit for a one-line message.
func shortHost(h string) string {
	if len(h) > 100 {
		return h[:100] + "…"
	}
	return h
}

// validHostName checks a name given to --allow-host: a DNS name (letters,
// digits, hyphens, dots, underscores), without a port or a scheme.
func validHostName(n string) error {
	switch {
	case n == "":
		return fmt.Errorf("an empty name; give a host name such as myhost.example.com")
	case len(n) > 253:
		return fmt.Errorf("%d bytes, longer than a DNS name's 253", len(n))
	case strings.Contains(n, "://"):
		return fmt.Errorf("%q is a URL; give only its host name", n)
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return fmt.Errorf("%q holds %q, which no host name holds; give a host name without a port, such as myhost.example.com", n, r)
		}
	}
	return nil
}
