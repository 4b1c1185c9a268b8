package datastore

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// appendAttempt appends to dst exactly the bytes json.MarshalIndent(a, "",
// "  ") gives, without reflection: every task process writes one attempt
// record, and encoding/json's first use in a process costs more than the
// rest of the encoding (it builds its type caches).
//
// The fields come in struct order with the same omitempty rules, map keys
// sorted, strings escaped as encoding/json escapes them (see
// appendJSONString) and times as time.Time's MarshalJSON writes them. A
// time that RFC 3339 cannot hold (a year outside 0-9999, a zone offset of a
// day or more) is left to json.MarshalIndent, whose result and error
// appendAttempt then returns.
func appendAttempt(dst []byte, a *Attempt) ([]byte, error) {
	n0 := len(dst)
	var ok bool
	dst = append(dst, "{\n  \"run\": "...)
	dst = appendJSONString(dst, a.Run)
	dst = append(dst, ",\n  \"step\": "...)
	dst = appendJSONString(dst, a.Step)
	dst = append(dst, ",\n  \"task\": "...)
	dst = appendJSONString(dst, a.Task)
	dst = append(dst, ",\n  \"attempt\": "...)
	dst = strconv.AppendInt(dst, int64(a.Attempt), 10)
	dst = append(dst, ",\n  \"status\": "...)
	dst = appendJSONString(dst, a.Status)
	dst = append(dst, ",\n  \"start\": "...)
	if dst, ok = appendJSONTime(dst, a.Start); !ok {
		return marshalAttempt(dst[:n0], a)
	}
	dst = append(dst, ",\n  \"end\": "...)
	if dst, ok = appendJSONTime(dst, a.End); !ok {
		return marshalAttempt(dst[:n0], a)
	}
	dst = append(dst, ",\n  \"exit_code\": "...)
	dst = strconv.AppendInt(dst, int64(a.ExitCode), 10)
	if a.Error != "" {
		dst = append(dst, ",\n  \"error\": "...)
		dst = appendJSONString(dst, a.Error)
	}
	if len(a.Artifacts) > 0 {
		dst = append(dst, ",\n  \"artifacts\": {"...)
		for i, k := range slices.Sorted(maps.Keys(a.Artifacts)) {
			r := a.Artifacts[k]
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, "\n    "...)
			dst = appendJSONString(dst, k)
			dst = append(dst, ": {\n      \"hash\": "...)
			dst = appendJSONString(dst, r.Hash)
			dst = append(dst, ",\n      \"encoding\": "...)
			dst = appendJSONString(dst, r.Encoding)
			dst = append(dst, ",\n      \"size\": "...)
			dst = strconv.AppendInt(dst, r.Size, 10)
			dst = append(dst, ",\n      \"type\": "...)
			dst = appendJSONString(dst, r.Type)
			dst = append(dst, "\n    }"...)
		}
		dst = append(dst, "\n  }"...)
	}
	if len(a.Inputs) > 0 {
		dst = append(dst, ",\n  \"inputs\": ["...)
		for i, s := range a.Inputs {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, "\n    "...)
			dst = appendJSONString(dst, s)
		}
		dst = append(dst, "\n  ]"...)
	}
	if len(a.Indices) > 0 {
		dst = append(dst, ",\n  \"indices\": ["...)
		for i, n := range a.Indices {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, "\n    "...)
			dst = strconv.AppendInt(dst, int64(n), 10)
		}
		dst = append(dst, "\n  ]"...)
	}
	if a.ForeachWidth != 0 {
		dst = append(dst, ",\n  \"foreach_width\": "...)
		dst = strconv.AppendInt(dst, int64(a.ForeachWidth), 10)
	}
	for _, f := range [...]struct{ name, v string }{
		{",\n  \"switch_target\": ", a.SwitchTarget},
		{",\n  \"origin\": ", a.Origin},
		{",\n  \"caught\": ", a.Caught},
	} {
		if f.v != "" {
			dst = append(dst, f.name...)
			dst = appendJSONString(dst, f.v)
		}
	}
	if len(a.Env) > 0 {
		dst = append(dst, ",\n  \"env\": {"...)
		for i, k := range slices.Sorted(maps.Keys(a.Env)) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, "\n    "...)
			dst = appendJSONString(dst, k)
			dst = append(dst, ": "...)
			dst = appendJSONString(dst, a.Env[k])
		}
		dst = append(dst, "\n  }"...)
	}
	if a.Card != "" {
		dst = append(dst, ",\n  \"card\": "...)
		dst = appendJSONString(dst, a.Card)
	}
	return append(dst, "\n}"...), nil
}

// marshalAttempt appends json.MarshalIndent's encoding of a to dst, or
// returns its error: appendAttempt's way out for what it does not write.
func marshalAttempt(dst []byte, a *Attempt) ([]byte, error) {
	b, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(dst, b...), nil
}

// appendJSONTime appends t as time.Time's MarshalJSON writes it (RFC 3339
// with nanoseconds, quoted), or reports false when MarshalJSON would fail.
func appendJSONTime(dst []byte, t time.Time) ([]byte, bool) {
	b, err := t.AppendText(append(dst, '"')) // the same strict RFC 3339 as MarshalJSON
	if err != nil {
		return dst, false
	}
	return append(b, '"'), true
}

// appendJSONString appends s quoted as encoding/json writes a string with
// HTML escaping (its default): ", \ and control characters escaped (\b,
// \f, \n, \r, \t by name, the rest as \u00XX), < > & as \u003c \u003e
// \u0026, U+2028 and U+2029 as \u2028 \u2029, and each byte of invalid
// UTF-8 as \ufffd.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= ' ' && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case c == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case c == '\u2028' || c == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
