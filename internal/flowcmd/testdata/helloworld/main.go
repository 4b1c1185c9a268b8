// Command helloworld is the yardstick of BenchmarkStart: the smallest Go
// program that writes to its standard output.
package main

import "fmt"

func main() { fmt.Println("hello, world") }
