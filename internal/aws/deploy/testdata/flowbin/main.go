// Command flowbin is a static linux binary standing for a flow binary in
// the deploy scripts (--code-package flowbin).
package main

func main() { println(0) }
