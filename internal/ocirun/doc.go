// Package ocirun runs one process from an OCI image the way a container
// runtime started by AWS Batch does, without Docker: it is the emulated
// AWS Batch of the end-to-end tests (docs/e2e.md).
//
// A run:
//
//  1. pulls the image by reference (tag or digest) from its registry; an
//     image index resolves to the host's linux/<arch> entry, and an image
//     or index without one is refused with both platforms named (Pull);
//  2. unpacks the image's flattened root filesystem once per image digest
//     into a cache directory, safely against concurrent runs (Unpack);
//  3. works out the process with Docker's rules: the job's command
//     replaces only the image's Cmd, the image's Env fills in what the
//     job's environment lacks, PATH defaults to Docker's, the image's
//     WorkingDir and User apply (Process, LookupUser);
//  4. starts it in new mount, PID, IPC and UTS namespaces on an overlay of
//     the cached root with a writable layer of its own (removed when it
//     ends), with /proc, a minimal /dev, a read-only /sys and the host's
//     /etc/hosts and /etc/resolv.conf, pivot_root'ed into it, with
//     Docker's default capabilities (less CAP_MKNOD) and its read-only
//     and masked kernel files, as the image's user, in the image's
//     working directory (Start; the namespace side is Init).
//
// The process is its PID namespace's first: when it ends, every process
// it started ends, and when the runner dies, it is killed. The network
// is the host's (the emulated job reaches loopback endpoints as a
// host-network Batch job does), and so are the hostname and the time.
// Nothing is limited (CPU, memory, the job's resource requirements), no
// seccomp or AppArmor profile applies, extended attributes (file
// capabilities) of the image are not applied, and no registry
// credentials are sent (the emulation's registry has none).
//
// A program that calls Start or Run must call Init first thing in main
// (and a test binary in TestMain): the namespace side runs in a copy of
// the program.
//
// # Exit codes
//
// Run and the ocirun command return the process's own exit status, or
// 128+N when signal N killed it (as a shell and Docker report it). When
// the container could not be started, the codes are docker run's:
//
//   - 125 (ExitSetup): bad usage, or the container could not be set up:
//     the pull, the platform, the unpack, the mounts, the user, the
//     working directory, an empty command;
//   - 126 (ExitCannotInvoke): the command exists but could not be
//     executed (permission denied, exec format error);
//   - 127 (ExitNotFound): the command was not found (`exec: "aws":
//     executable file not found in $PATH`).
//
// A process may exit 125 to 127 itself; as with Docker, only the one-line
// message the runner prints tells the two apart.
package ocirun
