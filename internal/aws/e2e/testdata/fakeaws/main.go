// Command fakeaws stands for the aws CLI as the entrypoint of the
// public.ecr.aws/aws-cli/aws-cli image (ENTRYPOINT ["/usr/local/bin/aws"]):
// given a command it does not know, such as the "step" of a Stepflow job,
// it prints the CLI's usage error and exits with its status, 252.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "usage: aws [options] <command> <subcommand> [<subcommand> ...] [parameters]")
	if len(os.Args) > 1 {
		fmt.Fprintf(os.Stderr, "aws: error: argument command: Invalid choice, valid choices are: s3 | ec2 | ... (got %q)\n", os.Args[1])
	}
	os.Exit(252)
}
