// hello is a tiny program for testbin's test.
package main

import "os"

func main() { os.Stdout.WriteString("hello from testbin\n") }
