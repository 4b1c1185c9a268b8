package deploy

import (
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/stepflow/stepflow/internal/readlimit"
	"github.com/stepflow/stepflow/internal/taskcontract"
)

// Tags Stepflow keeps on the state machine: the deployment's production
// token and owner are stored there (and read back by the next deploy,
// terminate and delete); the token also reaches every task as
// STEPFLOW_PRODUCTION_TOKEN in the job definitions.
const (
	TagFlow  = "stepflow:flow"
	TagToken = "stepflow:production-token"
	TagOwner = "stepflow:owner"
	// TagScope holds statemachine.MachineScope: the name prefix, project
	// and branch the machine was deployed with.
	TagScope = "stepflow:scope"
)

// NewToken mints a production token for a state machine: its lower-cased
// name (at most 40 characters) and 8 random letters and digits. Tokens are
// compared as strings only.
func NewToken(machine string) string {
	base := strings.ToLower(machine)
	if len(base) > 40 {
		base = base[:40]
	}
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported systems
	}
	return base + "-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// stripToken removes the "production:" prefix of a token given by a user.
func stripToken(t string) string {
	return strings.TrimPrefix(strings.TrimSpace(t), taskcontract.ProductionPrefix)
}

// KnownToken is the production token create would deploy an existing
// state machine with, as far as it is known without calling AWS: the one
// given with --authorize, else the locally cached one, else "".
func KnownToken(dir, machine, authorize string) string {
	if authorize != "" {
		return stripToken(authorize)
	}
	return readToken(dir, machine)
}

// tokenFile is the local cache of the token of one state machine: a JSON
// object {"production_token": "..."} at <dir>/<machine>.json.
func tokenFile(dir, machine string) string { return filepath.Join(dir, machine+".json") }

// readToken returns the locally cached token of a state machine, or "".
func readToken(dir, machine string) string {
	if dir == "" {
		return ""
	}
	// A token file holds one short JSON object; a larger one is not ours.
	data, err := readlimit.File(tokenFile(dir, machine), 64<<10)
	if err != nil {
		return ""
	}
	var v struct {
		Token string `json:"production_token"`
	}
	if json.Unmarshal(data, &v) != nil {
		return ""
	}
	return v.Token
}

// writeToken caches the token of a state machine, atomically, readable by
// the user only.
func writeToken(dir, machine, token string) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	data, _ := json.Marshal(map[string]string{"production_token": token})
	tmp := tokenFile(dir, machine) + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, tokenFile(dir, machine))
}

// removeToken forgets the cached token of a deleted state machine.
func removeToken(dir, machine string) {
	if dir != "" {
		if err := os.Remove(tokenFile(dir, machine)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return
		}
	}
}

// authorize checks that user may change (redeploy, terminate, delete) the
// deployment d: its owner always may; anyone else needs its production
// token, from --authorize (given) or the local cache (cached).
func authorize(d *Deployment, user, given, cached, doing string) error {
	if d == nil || d.Token == "" || d.Owner == user {
		return nil
	}
	tok := stripToken(given)
	if tok == "" {
		tok = cached
	}
	if tok == d.Token {
		return nil
	}
	if given != "" {
		return userf("the production token given with --authorize does not match the one of state machine %s (deployed by %s); ask %s for it (their deploy printed it as production:<token>), then %s with --authorize production:<token>",
			d.Name, d.Owner, d.Owner, doing)
	}
	return userf("state machine %s was deployed by %s, not by you (%s); to %s it, give its production token with --authorize production:<token> (ask %s), or deploy your own copy under another --branch or --name-prefix",
		d.Name, d.Owner, user, doing, d.Owner)
}
