package datastore

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// A record (run.json, end.json, attempt.json, heartbeat.json) is indented
// JSON whose last field is the SHA-256 of everything before it:
//
//	{
//	  "flow": "HelloFlow",
//	  ...
//	  "sha256": "<hex SHA-256 of the record as written without this field>"
//	}
//
// The covered bytes are the record as json.MarshalIndent wrote it (ending
// in "\n}"); the field is spliced in before the closing brace, so the file
// stays one flat JSON object that any JSON tool reads, and a reader of an
// older version ignores fields it does not know without failing the check.
const recordSumField = ",\n  \"sha256\": \""

// encodeRecord marshals v as a record with its checksum.
func encodeRecord(v any) ([]byte, error) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode record %T: %w", v, err)
	}
	if !bytes.HasSuffix(body, []byte("\n}")) {
		return nil, fmt.Errorf("record %T is not a non-empty JSON object", v)
	}
	sum := sha256.Sum256(body)
	out := make([]byte, 0, len(body)+len(recordSumField)+64+4)
	out = append(out, body[:len(body)-2]...)
	out = append(out, recordSumField...)
	out = append(out, hex.EncodeToString(sum[:])...)
	out = append(out, "\"\n}\n"...)
	return out, nil
}

// errNoChecksum and errChecksum say why a record is damaged.
var (
	errNoChecksum = errors.New("no checksum field at its end (truncated, or not written by Stepflow)")
	errChecksum   = errors.New("content does not match its checksum")
)

// decodeRecord verifies data's checksum and unmarshals it into v. A
// record that fails either step gives an error wrapping ErrCorrupt. The
// check covers the bytes as they are stored, so it holds whichever
// encoder wrote them.
func decodeRecord(data []byte, v any) error {
	const tail = "\"\n}\n"
	n := len(data) - len(tail) - 64 - len(recordSumField)
	if n < 1 || !bytes.HasSuffix(data, []byte(tail)) || string(data[n:n+len(recordSumField)]) != recordSumField {
		return fmt.Errorf("%w: %v", ErrCorrupt, errNoChecksum)
	}
	want, err := hex.DecodeString(string(data[n+len(recordSumField) : len(data)-len(tail)]))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, errNoChecksum)
	}
	h := sha256.New()
	h.Write(data[:n])
	h.Write([]byte("\n}"))
	if !bytes.Equal(h.Sum(nil), want) {
		return fmt.Errorf("%w: %v", ErrCorrupt, errChecksum)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return nil
}
