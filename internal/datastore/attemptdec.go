package datastore

import (
	"bytes"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeAttempt decodes the attempt record data into *a, which must be the
// zero Attempt, without reflection: every task process reads its parents'
// records, and encoding/json's first use in a process costs ten times its
// later ones (it builds its type caches).
//
// It is a parser for the record's shape only and reports false, leaving
// *a untouched, on anything it is not sure to decode exactly as
// json.Unmarshal would, which the caller then uses: invalid JSON, a value
// of the wrong type, a duplicate key, a key that matches a field name only
// when case is folded (encoding/json accepts it), null anywhere but as a
// whole field's value, a number an int field would refuse, invalid UTF-8,
// nesting deeper than maxSkipDepth. When it reports true, *a is what
// json.Unmarshal(data, a) gives. Unknown fields of any type are skipped.
func decodeAttempt(data []byte, a *Attempt) bool {
	p := recordParser{data: data}
	var out Attempt
	if !p.attempt(&out) {
		return false
	}
	p.space()
	if p.pos != len(p.data) {
		return false
	}
	*a = out
	return true
}

// attemptFields are the JSON names of Attempt's fields, in struct order;
// a field's index is its bit in attempt's set of keys seen.
var attemptFields = [...]string{"run", "step", "task", "attempt", "status", "start", "end", "exit_code",
	"error", "artifacts", "inputs", "indices", "foreach_width", "switch_target", "origin", "caught", "env", "card"}

// artifactRefFields are the JSON names of ArtifactRef's fields.
var artifactRefFields = [...]string{"hash", "encoding", "size", "type"}

// maxSkipDepth bounds the nesting of the unknown values decodeAttempt
// skips (encoding/json allows 10000 levels; deeper ones are left to it).
const maxSkipDepth = 256

// recordParser reads one JSON text from data, starting at pos. Its methods
// report false when the input is not what they expect or not valid JSON.
type recordParser struct {
	data []byte
	pos  int
	buf  []byte // the unescaped form of the last string with escapes
}

// attempt parses the record object into a.
func (p *recordParser) attempt(a *Attempt) bool {
	var seen uint32
	return p.object(func(key []byte) bool {
		i := fieldIndex(attemptFields[:], key)
		if i < 0 {
			return i == -1 && p.skip(0)
		}
		if seen&(1<<i) != 0 {
			return false
		}
		seen |= 1 << i
		if p.literal("null") {
			// null leaves a field of the zero Attempt as it is: a string
			// or int unchanged, a map or slice nil, a time.Time zero
			// (its UnmarshalJSON ignores null).
			return true
		}
		switch attemptFields[i] {
		case "run":
			return p.str(&a.Run)
		case "step":
			return p.str(&a.Step)
		case "task":
			return p.str(&a.Task)
		case "attempt":
			return p.int(&a.Attempt)
		case "status":
			return p.str(&a.Status)
		case "start":
			return p.timestamp(&a.Start)
		case "end":
			return p.timestamp(&a.End)
		case "exit_code":
			return p.int(&a.ExitCode)
		case "error":
			return p.str(&a.Error)
		case "artifacts":
			return p.artifacts(&a.Artifacts)
		case "inputs":
			return p.strs(&a.Inputs)
		case "indices":
			return p.ints(&a.Indices)
		case "foreach_width":
			return p.int(&a.ForeachWidth)
		case "switch_target":
			return p.str(&a.SwitchTarget)
		case "origin":
			return p.str(&a.Origin)
		case "caught":
			return p.str(&a.Caught)
		case "env":
			return p.env(&a.Env)
		case "card":
			return p.str(&a.Card)
		}
		return false
	})
}

// fieldIndex returns the index of key in names, -1 for a key that matches
// none even with case folded (a field encoding/json ignores), or -2 for
// one that matches only with case folded (encoding/json's case-insensitive
// match, not decoded here).
func fieldIndex(names []string, key []byte) int {
	for i, n := range names {
		if string(key) == n {
			return i
		}
	}
	for _, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return -2
		}
	}
	return -1
}

// artifacts parses the artifacts object into a new map.
func (p *recordParser) artifacts(m *map[string]ArtifactRef) bool {
	out := map[string]ArtifactRef{}
	ok := p.object(func(key []byte) bool {
		if _, dup := out[string(key)]; dup {
			return false
		}
		k := string(key)
		var r ArtifactRef
		if !p.artifactRef(&r) {
			return false
		}
		out[k] = r
		return true
	})
	*m = out
	return ok
}

// artifactRef parses one ArtifactRef object into r.
func (p *recordParser) artifactRef(r *ArtifactRef) bool {
	var seen uint32
	return p.object(func(key []byte) bool {
		i := fieldIndex(artifactRefFields[:], key)
		if i < 0 {
			return i == -1 && p.skip(0)
		}
		if seen&(1<<i) != 0 {
			return false
		}
		seen |= 1 << i
		switch i {
		case 0:
			return p.str(&r.Hash)
		case 1:
			return p.str(&r.Encoding)
		case 2:
			return p.int64(&r.Size)
		default:
			return p.str(&r.Type)
		}
	})
}

// env parses an object of strings into a new map.
func (p *recordParser) env(m *map[string]string) bool {
	out := map[string]string{}
	ok := p.object(func(key []byte) bool {
		if _, dup := out[string(key)]; dup {
			return false
		}
		k := string(key)
		var v string
		if !p.str(&v) {
			return false
		}
		out[k] = v
		return true
	})
	*m = out
	return ok
}

// strs parses an array of strings into a new slice.
func (p *recordParser) strs(s *[]string) bool {
	out := []string{}
	ok := p.array(func() bool {
		var v string
		if !p.str(&v) {
			return false
		}
		out = append(out, v)
		return true
	})
	*s = out
	return ok
}

// ints parses an array of ints into a new slice.
func (p *recordParser) ints(s *[]int) bool {
	out := []int{}
	ok := p.array(func() bool {
		var v int
		if !p.int(&v) {
			return false
		}
		out = append(out, v)
		return true
	})
	*s = out
	return ok
}

// object parses an object, calling field with each key (unescaped, valid
// only until the next string is parsed) with pos at the key's value, which
// field must consume.
func (p *recordParser) object(field func(key []byte) bool) bool {
	p.space()
	if !p.eat('{') {
		return false
	}
	p.space()
	if p.eat('}') {
		return true
	}
	for {
		p.space()
		key, ok := p.unquote()
		if !ok {
			return false
		}
		p.space()
		if !p.eat(':') {
			return false
		}
		p.space()
		if !field(key) {
			return false
		}
		p.space()
		if p.eat(',') {
			continue
		}
		return p.eat('}')
	}
}

// array parses an array, calling elem with pos at each element, which
// elem must consume.
func (p *recordParser) array(elem func() bool) bool {
	p.space()
	if !p.eat('[') {
		return false
	}
	p.space()
	if p.eat(']') {
		return true
	}
	for {
		p.space()
		if !elem() {
			return false
		}
		p.space()
		if p.eat(',') {
			continue
		}
		return p.eat(']')
	}
}

// str parses a string into s.
func (p *recordParser) str(s *string) bool {
	b, ok := p.unquote()
	if ok {
		*s = string(b)
	}
	return ok
}

// int parses an integer that fits an int into n.
func (p *recordParser) int(n *int) bool {
	num, ok := p.number()
	if !ok {
		return false
	}
	v, err := strconv.ParseInt(string(num), 10, strconv.IntSize)
	*n = int(v)
	return err == nil
}

// int64 parses an integer that fits an int64 into n.
func (p *recordParser) int64(n *int64) bool {
	num, ok := p.number()
	if !ok {
		return false
	}
	v, err := strconv.ParseInt(string(num), 10, 64)
	*n = v
	return err == nil
}

// timestamp parses a quoted time into t with time.Time's UnmarshalJSON, given
// the string as it is written (as encoding/json gives it; escapes are not
// interpreted).
func (p *recordParser) timestamp(t *time.Time) bool {
	start := p.pos
	if _, ok := p.unquote(); !ok {
		return false
	}
	return t.UnmarshalJSON(p.data[start:p.pos]) == nil
}

// skip skips a value of any type, at nesting depth depth.
func (p *recordParser) skip(depth int) bool {
	if depth >= maxSkipDepth || p.pos >= len(p.data) {
		return false
	}
	switch c := p.data[p.pos]; {
	case c == '"':
		_, ok := p.unquote()
		return ok
	case c == '{':
		return p.object(func([]byte) bool { return p.skip(depth + 1) })
	case c == '[':
		return p.array(func() bool { return p.skip(depth + 1) })
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	default:
		_, ok := p.number()
		return ok
	}
}

// literal consumes word if the input continues with it.
func (p *recordParser) literal(word string) bool {
	if len(p.data)-p.pos < len(word) || string(p.data[p.pos:p.pos+len(word)]) != word {
		return false
	}
	p.pos += len(word)
	return true
}

// number consumes a number in JSON's grammar and returns it.
func (p *recordParser) number() ([]byte, bool) {
	d, i := p.data, p.pos
	digits := func() bool {
		j := i
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case !digits():
		return nil, false
	}
	if i < len(d) && d[i] == '.' {
		i++
		if !digits() {
			return nil, false
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if !digits() {
			return nil, false
		}
	}
	num := d[p.pos:i]
	p.pos = i
	return num, true
}

// unquote consumes a string and returns its value: a slice of data when
// it has no escapes, else of buf. It refuses invalid UTF-8 (which
// encoding/json would replace with U+FFFD) and what JSON forbids (control
// characters, unknown escapes); a \u escape of a surrogate that is not
// half of a valid pair gives U+FFFD, as in encoding/json.
func (p *recordParser) unquote() ([]byte, bool) {
	d := p.data
	if p.pos >= len(d) || d[p.pos] != '"' {
		return nil, false
	}
	start := p.pos + 1
	i := start
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return d[start:i], true
		case c == '\\':
			return p.unescape(start, i)
		case c < ' ':
			return nil, false
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size == 1 {
				return nil, false
			}
			i += size
		}
	}
	return nil, false
}

// unescape finishes unquote for a string starting at start whose first
// escape is at i.
func (p *recordParser) unescape(start, i int) ([]byte, bool) {
	d := p.data
	b := append(p.buf[:0], d[start:i]...)
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			p.pos = i + 1
			p.buf = b
			return b, true
		case c == '\\':
			if i+1 >= len(d) {
				return nil, false
			}
			switch e := d[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r := hex4(d[i+2:])
				if r < 0 {
					return nil, false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					if len(d)-i >= 6 && d[i] == '\\' && d[i+1] == 'u' {
						if pair := utf16.DecodeRune(r, hex4(d[i+2:])); pair != utf8.RuneError {
							b = utf8.AppendRune(b, pair)
							i += 6
							continue
						}
					}
					r = utf8.RuneError
				}
				b = utf8.AppendRune(b, r)
				continue
			default:
				return nil, false
			}
			i += 2
		case c < ' ':
			return nil, false
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size == 1 {
				return nil, false
			}
			b = append(b, d[i:i+size]...)
			i += size
		}
	}
	return nil, false
}

// hex4 returns the value of the four hex digits that s starts with, or -1.
func hex4(s []byte) rune {
	if len(s) < 4 {
		return -1
	}
	var r rune
	for _, c := range s[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// space skips JSON whitespace.
func (p *recordParser) space() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// eat consumes c if it is next.
func (p *recordParser) eat(c byte) bool {
	if p.pos < len(p.data) && p.data[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// isZero reports whether a is the zero Attempt (nil maps and slices), the
// only value decodeAttempt decodes into: json.Unmarshal merges into a
// non-zero one.
func (a *Attempt) isZero() bool {
	return a.Run == "" && a.Step == "" && a.Task == "" && a.Attempt == 0 && a.Status == "" &&
		a.Start == (time.Time{}) && a.End == (time.Time{}) && a.ExitCode == 0 && a.Error == "" &&
		a.Artifacts == nil && a.Inputs == nil && a.Indices == nil && a.ForeachWidth == 0 &&
		a.SwitchTarget == "" && a.Origin == "" && a.Caught == "" && a.Env == nil && a.Card == ""
}
