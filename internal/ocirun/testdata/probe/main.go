// Command probe is the process the ocirun tests run in their images. It
// prints one JSON line describing itself (arguments, environment, working
// directory, ids, /proc/self/exe), then acts on its arguments in order:
//
//	exit:N        exit with status N
//	write:PATH    write PATH
//	trywrite:PATH write PATH, print "trywrite PATH: ok" or the error
//	exists:PATH   print "exists PATH true|false"
//	cat:PATH      print the content of PATH
//	wait          start a child (a probe waiting forever, its
//	              SIGTERM ignored), print "ready", and wait for SIGTERM:
//	              print "terminated" and exit 143
//
// Other arguments are only printed. Run as aws (argv[0] ending in /aws),
// it behaves as the aws CLI does when its first argument is no command:
// usage on stderr, exit status 252.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// report is the JSON line the probe prints first.
type report struct {
	Args   []string `json:"args"`
	Env    []string `json:"env"`
	Cwd    string   `json:"cwd"`
	UID    int      `json:"uid"`
	GID    int      `json:"gid"`
	Groups []int    `json:"groups"`
	Exe    string   `json:"exe"`
	Pid    int      `json:"pid"`
}

func main() {
	if filepath.Base(os.Args[0]) == "aws" {
		aws()
	}
	if len(os.Args) == 2 && os.Args[1] == "child" {
		signal.Ignore(syscall.SIGTERM)
		for {
			time.Sleep(time.Hour)
		}
	}
	r := report{Args: os.Args, Env: os.Environ(), UID: os.Getuid(), GID: os.Getgid(), Pid: os.Getpid()}
	var err error
	if r.Cwd, err = os.Getwd(); err != nil {
		fail(err)
	}
	if r.Groups, err = os.Getgroups(); err != nil {
		fail(err)
	}
	if r.Exe, err = os.Executable(); err != nil {
		fail(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		fail(err)
	}
	fmt.Println(string(b))
	for _, a := range os.Args[1:] {
		verb, arg, _ := strings.Cut(a, ":")
		switch verb {
		case "exit":
			n, err := strconv.Atoi(arg)
			if err != nil {
				fail(err)
			}
			os.Exit(n)
		case "write":
			if err := os.WriteFile(arg, []byte("written by the probe\n"), 0o644); err != nil {
				fail(err)
			}
		case "trywrite":
			res := "ok"
			if err := os.WriteFile(arg, []byte("written by the probe\n"), 0o644); err != nil {
				res = err.Error()
			}
			fmt.Printf("trywrite %s: %s\n", arg, res)
		case "exists":
			_, err := os.Lstat(arg)
			fmt.Printf("exists %s %t\n", arg, err == nil)
		case "cat":
			b, err := os.ReadFile(arg)
			if err != nil {
				fail(err)
			}
			os.Stdout.Write(b)
		case "wait":
			wait()
		}
	}
}

// wait starts a child, says it is ready and exits 143 on SIGTERM.
func wait() {
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	child := exec.Command("/proc/self/exe", "child")
	if err := child.Start(); err != nil {
		fail(err)
	}
	fmt.Println("ready")
	<-term
	fmt.Println("terminated")
	os.Exit(143)
}

// aws is the aws CLI given a first argument that is no command.
func aws() {
	fmt.Fprintf(os.Stderr, `usage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]
To see help text, you can run:

  aws help
  aws <command> help
  aws <command> <subcommand> help

aws: error: argument command: Invalid choice, valid choices are:

batch | ecr | s3 | stepfunctions
(the ocirun tests' aws, given %q)
`, os.Args[1:])
	os.Exit(252)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "probe:", err)
	os.Exit(99)
}
