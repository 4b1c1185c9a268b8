package ui

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/stepflow/stepflow/client"
	"github.com/stepflow/stepflow/internal/command"
	"github.com/stepflow/stepflow/internal/inspect"
	"github.com/stepflow/stepflow/internal/usage"
)

// DefaultAddr is where the UI listens unless --addr says otherwise: the
// loopback interface only.
const DefaultAddr = "127.0.0.1:8080"

// Command returns the ui command, reading the datastore root selects.
func Command(root *inspect.Root) *command.Command {
	var addr string
	var open bool
	var allow hostList
	return &command.Command{
		Name:      "ui",
		UsageLine: "ui [--datastore-root ROOT] [--addr HOST:PORT] [--allow-host NAME]... [--open]",
		Short:     "serve a web view of every run in the datastore",
		Long: `Ui serves a read-only web view of the datastore's flows and runs: each run's
graph with its steps' states and counts (updated live while the run goes on),
a timeline with one bar per task attempt, each task's attempts, logs and
artifacts. It reads a directory or an S3 datastore, so it shows cloud runs
too. Nothing is fetched from the network: the pages are built into stepflow.

It listens on 127.0.0.1:8080 unless --addr says otherwise (port 0 picks a
free port). The UI has no authentication: an --addr reachable from other
machines shows every run and artifact to anyone who can reach it.

It answers only requests addressed to localhost, to an IP address (the
loopback addresses, the address it listens on) or to a name given with
--allow-host (repeatable): a page on another site that points a name of its
own at this machine (DNS rebinding) gets 421 Misdirected Request, not your
runs. Reaching the UI by a host name (http://myhost:8080/) needs
--allow-host myhost.`,
		Flags: func(fs *flag.FlagSet) {
			root.Register(fs)
			fs.StringVar(&addr, "addr", DefaultAddr, "address to listen on, host:port")
			fs.BoolVar(&open, "open", false, "open the UI in the default browser")
			fs.Var(&allow, "allow-host", "also answer requests for this host name (repeatable); localhost and IP addresses are always answered")
		},
		Run: func(ctx context.Context, env *command.Env, args []string) error {
			if len(args) > 0 {
				return usage.Errorf("ui takes no arguments, got %q; give the datastore with --datastore-root", args)
			}
			dir, err := root.Resolve(env)
			if err != nil {
				return err
			}
			c, err := client.Open(ctx, dir.Dir, client.WithEnv(env.Getenv))
			if errors.Is(err, client.ErrNotFound) {
				return usage.Errorf("%w; point --datastore-root (or STEPFLOW_DATASTORE_ROOT) at the datastore your runs use", err)
			}
			if err != nil {
				return usage.Wrap(inspect.OpenError(dir, err))
			}
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return usage.Errorf("--addr %q is not host:port (%v); e.g. --addr 127.0.0.1:8080", addr, err)
			}
			for _, n := range allow {
				if err := validHostName(n); err != nil {
					return usage.Errorf("--allow-host: %v", err)
				}
			}
			// The name the UI is bound to is one it is reached by.
			names := append([]string{}, allow...)
			if host != "" {
				names = append(names, host)
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return usage.Errorf("cannot listen on %s: %v; choose another --addr (port 0 picks a free one)", addr, err)
			}
			if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
				fmt.Fprintf(env.Stderr, "warning: the UI listens on %s, which other machines may reach, and it has no authentication: anyone who reaches it sees every run and artifact\n", ln.Addr())
			}
			s, err := New(c, log.New(env.Stderr, "ui: ", log.LstdFlags), AllowHosts(names...))
			if err != nil {
				return err
			}
			url := "http://" + ln.Addr().String() + "/"
			fmt.Fprintf(env.Stdout, "Stepflow UI of %s at %s (Ctrl-C to stop)\n", c.Root(), url)
			if open {
				if err := openBrowser(url); err != nil {
					fmt.Fprintf(env.Stderr, "could not open a browser (%v); open %s yourself\n", err, url)
				}
			}
			return Serve(ctx, ln, s)
		},
	}
}

// hostList is the value of the repeatable --allow-host flag.
type hostList []string

func (l *hostList) String() string     { return strings.Join(*l, ",") }
func (l *hostList) Set(v string) error { *l = append(*l, v); return nil }

// Serve serves s on ln until ctx is done, then shuts down gracefully.
func Serve(ctx context.Context, ln net.Listener, s *Server) error {
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		return nil
	}
}

// openBrowser opens url with the system's opener.
func openBrowser(url string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", url)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", url)
	default:
		cmd = exec.Command("xdg-open", url)
	}
	return cmd.Start()
}
