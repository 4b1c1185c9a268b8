// Command fileflow is the flow of the file parameter tests: file
// parameter data (default data.csv in the working directory) reaches every
// step through a stepflow.File field. Start and end each read the whole
// file and record its SHA-256 and size; start also prints its first line.
// The CLI scripts (internal/flowcmd) run it locally, the end-to-end tests
// (internal/aws/e2e) on emulated AWS.
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"io"

	"github.com/stepflow/stepflow"
)

// FileFlow reads one file parameter.
type FileFlow struct {
	Data      stepflow.File
	StartSum  string // SHA-256 of Data as start read it
	StartSize int64
	EndSum    string // SHA-256 of Data as end read it
	EndSize   int64
}

// Start reads the file and prints its first line.
func (f *FileFlow) Start(c *stepflow.Context) error {
	var err error
	if f.StartSum, f.StartSize, err = digest(&f.Data); err != nil {
		return err
	}
	r, err := f.Data.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && err != io.EOF {
		return err
	}
	c.Printf("data: %d bytes (Size says %d), first line %q\n", f.StartSize, f.Data.Size(), line)
	return nil
}

// End reads the file again, as a later step (on another machine, in the
// cloud) does.
func (f *FileFlow) End(c *stepflow.Context) error {
	var err error
	f.EndSum, f.EndSize, err = digest(&f.Data)
	c.Printf("end read %d bytes, sha256 %.12s\n", f.EndSize, f.EndSum)
	return err
}

// digest reads the file to its end: a damaged blob errors there.
func digest(file *stepflow.File) (string, int64, error) {
	r, err := file.Open()
	if err != nil {
		return "", 0, err
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func newFlow() *stepflow.Flow[FileFlow] {
	return stepflow.New[FileFlow]("FileFlow").
		FileParam("data", "data.csv", "the data to read").
		Step("start", (*FileFlow).Start, stepflow.Next("end")).
		Step("end", (*FileFlow).End)
}

func main() { stepflow.Main(newFlow()) }
