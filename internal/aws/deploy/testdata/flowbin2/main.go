// Command flowbin2 is flowbin with other bytes: another flow binary.
package main

func main() { println(1) }
