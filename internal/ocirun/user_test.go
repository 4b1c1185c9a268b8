package ocirun

import (
	"io"
	"reflect"
	"strings"
	"testing"
)

func TestLookupUser(t *testing.T) {
	const passwd = "# comment\n\nroot:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:App:/home/app:/bin/sh\nbroken\nnohome:x:1002:1002::\n"
	const group = "root:x:0:\nwheel:x:10:root,app\napp:x:1001:\nstaff:x:50:nohome,app\n"
	for _, c := range []struct {
		spec    string
		nofiles bool
		want    ExecUser
		err     string
	}{
		{spec: "", want: ExecUser{UID: 0, GID: 0, Groups: []uint32{10}, Home: "/root"}},
		{spec: "", nofiles: true, want: ExecUser{Home: "/"}},
		{spec: "app", want: ExecUser{UID: 1000, GID: 1001, Groups: []uint32{10, 50}, Home: "/home/app"}},
		{spec: "1000", want: ExecUser{UID: 1000, GID: 1001, Groups: []uint32{10, 50}, Home: "/home/app"}},
		{spec: "nohome", want: ExecUser{UID: 1002, GID: 1002, Groups: []uint32{50}, Home: "/"}},
		{spec: "app:staff", want: ExecUser{UID: 1000, GID: 50, Home: "/home/app"}},
		{spec: "app:10", want: ExecUser{UID: 1000, GID: 10, Home: "/home/app"}},
		{spec: "app:7", want: ExecUser{UID: 1000, GID: 7, Home: "/home/app"}},
		{spec: "5000", want: ExecUser{UID: 5000, Home: "/"}},
		{spec: "5000:6000", nofiles: true, want: ExecUser{UID: 5000, GID: 6000, Home: "/"}},
		{spec: "ghost", err: "unable to find user ghost: no matching entries in passwd file"},
		{spec: "ghost", nofiles: true, err: "unable to find user ghost: no matching entries in passwd file"},
		{spec: "app:ghosts", err: "unable to find group ghosts: no matching entries in group file"},
		{spec: "app:", err: `user "app:": empty group`},
		{spec: "-1", err: "unable to find user -1"},
	} {
		var pr, gr io.Reader
		if !c.nofiles {
			pr, gr = strings.NewReader(passwd), strings.NewReader(group)
		}
		got, err := LookupUser(c.spec, pr, gr)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: %+v, %v; want an error saying %q", c.spec, got, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q (files %t): %+v, %v; want %+v", c.spec, !c.nofiles, got, err, c.want)
		}
	}
}
