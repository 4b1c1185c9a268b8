// tiny is what TestBuildPublish builds: the smallest program, instead of a
// flow, whose dependencies (the AWS SDK) would have to be compiled once
// more with the code package's build settings (-trimpath, CGO_ENABLED=0)
// only to check those settings, which the test reads from the binary's
// build information.
package main

func main() {}
