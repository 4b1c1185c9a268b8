// hello is a tiny program: testbin's own test builds it, and tests that
// need a small static linux binary (a stand-in flow binary) build it too.
package main

import "os"

func main() { os.Stdout.WriteString("hello from testbin\n") }
