package ocirun

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ExecUser is who a container's process runs as.
type ExecUser struct {
	UID, GID uint32
	// Groups are the supplementary groups: the groups of the group file
	// that list the user, when the user was named without a group.
	Groups []uint32
	// Home is the user's home directory from the passwd file, or /: the
	// process's HOME unless its environment sets one.
	Home string
}

// LookupUser resolves an image's User against the image's /etc/passwd and
// /etc/group (nil when the image has none), as Docker's runtime does:
//
//   - "" is root (uid 0, gid 0), with the passwd entry of uid 0 if any;
//   - a user is a name or a uid: a passwd entry with that name (for a
//     number: that uid) gives the uid, gid and home; a uid without an
//     entry is used as it is, with gid 0; a name without one is an error;
//   - ":group" (a name or gid, found the same way in the group file)
//     sets the gid and leaves no supplementary groups; without it, the
//     groups listing the user are the supplementary groups.
func LookupUser(spec string, passwd, group io.Reader) (ExecUser, error) {
	u := ExecUser{Home: "/"}
	userArg, groupArg, hasGroup := strings.Cut(spec, ":")
	users, err := readColonFile(passwd, 7)
	if err != nil {
		return u, fmt.Errorf("read /etc/passwd: %w", err)
	}
	uidArg, uidErr := parseID(userArg)
	var matched []string
	for _, f := range users {
		uid, err := parseID(f[2])
		if err != nil {
			continue
		}
		switch {
		case userArg == "" && uid == 0,
			userArg != "" && uidErr == nil && uid == uidArg,
			userArg != "" && uidErr != nil && f[0] == userArg:
			matched = f
		}
		if matched != nil {
			break
		}
	}
	switch {
	case matched != nil:
		gid, err := parseID(matched[3])
		if err != nil {
			return u, fmt.Errorf("/etc/passwd entry of %s: gid %q: %w", matched[0], matched[3], err)
		}
		u.UID, _ = parseID(matched[2])
		u.GID = gid
		if matched[5] != "" {
			u.Home = matched[5]
		}
	case userArg == "":
	case uidErr == nil:
		u.UID = uidArg
	default:
		return u, fmt.Errorf("unable to find user %s: no matching entries in passwd file", userArg)
	}
	if !hasGroup && matched == nil {
		return u, nil
	}
	groups, err := readColonFile(group, 4)
	if err != nil {
		return u, fmt.Errorf("read /etc/group: %w", err)
	}
	if hasGroup {
		if groupArg == "" {
			return u, fmt.Errorf("user %q: empty group", spec)
		}
		gidArg, gidErr := parseID(groupArg)
		for _, f := range groups {
			gid, err := parseID(f[2])
			if err != nil {
				continue
			}
			if (gidErr == nil && gid == gidArg) || (gidErr != nil && f[0] == groupArg) {
				u.GID = gid
				return u, nil
			}
		}
		if gidErr != nil {
			return u, fmt.Errorf("unable to find group %s: no matching entries in group file", groupArg)
		}
		u.GID = gidArg
		return u, nil
	}
	for _, f := range groups {
		gid, err := parseID(f[2])
		if err != nil {
			continue
		}
		for _, member := range strings.Split(f[3], ",") {
			if member == matched[0] {
				u.Groups = append(u.Groups, gid)
				break
			}
		}
	}
	return u, nil
}

// parseID parses a uid or gid.
func parseID(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 31)
	return uint32(n), err
}

// readColonFile reads the lines of a passwd or group file as their first
// n colon-separated fields (missing ones empty), skipping blank lines and
// comments. A nil r has no lines.
func readColonFile(r io.Reader, n int) ([][]string, error) {
	if r == nil {
		return nil, nil
	}
	var out [][]string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, ":", n)
		for len(f) < n {
			f = append(f, "")
		}
		out = append(out, f)
	}
	return out, sc.Err()
}
