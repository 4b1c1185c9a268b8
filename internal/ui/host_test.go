package ui_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/ui"
)

// rawGet sends a GET of path with the given Host header over a plain TCP
// connection to addr, as a page on another origin reaching the UI through
// a rebound name would, and returns the status code and body.
func rawGet(t *testing.T, addr, host, path string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, host)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(body)
}

// TestHostHeader: the UI answers only requests addressed to localhost, an
// IP address or a name allowed with AllowHosts (--allow-host); any other
// Host, which is what a DNS-rebinding page sends, gets 421 and one line,
// never a page, a run or an artifact.
func TestHostHeader(t *testing.T) {
	root := filepath.Join(t.TempDir(), "ds")
	writeRuns(t, newFixture(t, root))
	c, err := client.Open(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ui.New(c, nil, ui.AllowHosts("stepflow.internal.example", "Build-Box"))
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	defer ts.Close()
	addr := ts.Listener.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	const art = "/api/flows/TrainFlow/runs/r-ok/steps/start/tasks/0/artifacts/Note"
	for _, host := range []string{"evil.example.com", "evil.example.com:" + port, "localhost.evil.example.com", "127.0.0.1.nip.io:" + port,
		"stepflow.internal.example.evil.com", "", "xn--localhost", "[localhost]"} {
		for _, p := range []string{art, "/", "/flows/TrainFlow/runs/r-ok", "/assets/ui.js"} {
			code, body := rawGet(t, addr, host, p)
			if code != http.StatusMisdirectedRequest {
				t.Errorf("Host %q GET %s: %d, want 421\n%s", host, p, code, body)
				continue
			}
			if strings.Count(strings.TrimSpace(body), "\n") != 0 || !strings.Contains(body, "--allow-host") || strings.Contains(body, "script") && strings.Contains(body, "alert") {
				t.Errorf("Host %q GET %s: body is not one line naming --allow-host:\n%s", host, p, body)
			}
		}
	}
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST.", "[::1]:" + port, "[::1]", "127.0.0.1", addr,
		"10.1.2.3:" + port, "stepflow.internal.example:" + port, "build-box"} {
		if code, body := rawGet(t, addr, host, art); code != http.StatusOK || !strings.Contains(body, `"name":"Note"`) {
			t.Errorf("Host %q: %d, want 200 with the artifact\n%s", host, code, body)
		}
	}
}
