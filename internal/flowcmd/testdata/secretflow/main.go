// Command secretflow is the flow of the secrets tests: the flow declares
// secret api for every step and step connect its own secret db. Connect
// reads both and keeps only what a step may keep of a secret: its length
// and a digest. The leak test searches every byte a run writes for the
// values.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/stepflow/stepflow"
)

// SecretFlow uses two secrets.
type SecretFlow struct {
	DBLength int    // len of secret db
	Digest   string // SHA-256 of secret db, a newline and secret api
	Done     bool
}

// Start reads nothing.
func (f *SecretFlow) Start(c *stepflow.Context) error { return nil }

// Connect reads both secrets.
func (f *SecretFlow) Connect(c *stepflow.Context) error {
	db, err := c.Secret("db")
	if err != nil {
		return err
	}
	api, err := c.Secret("api")
	if err != nil {
		return err
	}
	f.DBLength = len(db)
	sum := sha256.Sum256([]byte(db + "\n" + api))
	f.Digest = hex.EncodeToString(sum[:])
	c.Printf("connected with a %d-byte password\n", len(db))
	c.Card().Markdown(fmt.Sprintf("connected with a %d-byte password", len(db)))
	return nil
}

// End checks that a step without db's declaration cannot read it.
func (f *SecretFlow) End(c *stepflow.Context) error {
	if _, err := c.Secret("db"); err == nil {
		return fmt.Errorf("end read secret db, which only connect declares")
	}
	f.Done = true
	return nil
}

func newFlow() *stepflow.Flow[SecretFlow] {
	return stepflow.New[SecretFlow]("SecretFlow").
		Secrets("api", "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/api").
		Step("start", (*SecretFlow).Start, stepflow.Next("connect")).
		Step("connect", (*SecretFlow).Connect, stepflow.Next("end"),
			stepflow.Secrets("db", "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db")).
		Step("end", (*SecretFlow).End)
}

func main() { stepflow.Main(newFlow()) }
