// tiny is what TestBuildPublish builds: a small program instead of a flow,
// whose dependencies (the AWS SDK) would have to be compiled once more
// for the code package's build settings (-trimpath, CGO_ENABLED=0) only to
// check what those settings do. It imports os/user, which links the C
// library when cgo is on, so the binary is static only if Build turns cgo
// off.
package main

import (
	"os"
	"os/user"
)

func main() {
	u, err := user.Current()
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	os.Stdout.WriteString("hello, " + u.Username + "\n")
}
