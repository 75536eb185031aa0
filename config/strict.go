package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// MaxFileSize bounds a configuration file.
const MaxFileSize = 1 << 20

var durationType = reflect.TypeFor[Duration]()

// decodeStrict decodes data, a JSON object, onto c. Unknown keys (compared
// exactly, not case-insensitively as encoding/json does), duplicate keys,
// wrong types, null values, durations written as numbers, malformed
// durations and trailing data are reported, all at once, as *Error with
// keys and line numbers.
func decodeStrict(data []byte, source string, c *Config) error {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a BOM some editors write
	k := &checker{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	k.dec.UseNumber()
	if err := k.document(); err != nil {
		k.problems = append(k.problems, k.syntaxProblem(err))
	}
	if len(k.problems) > 0 {
		return &Error{Source: source, Problems: k.problems}
	}
	// The checker accepted every key and type; encoding/json now fills the
	// struct, DisallowUnknownFields guarding against any disagreement.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return &Error{Source: source, Problems: []Problem{{Key: "(file)", Message: err.Error()}}}
	}
	return nil
}

// checker walks the JSON token stream against the Config type.
type checker struct {
	data     []byte
	dec      *json.Decoder
	problems []Problem
}

func (k *checker) add(key, format string, args ...any) {
	k.problems = append(k.problems, Problem{Key: key, Line: k.line(), Message: fmt.Sprintf(format, args...)})
}

// line returns the line of the token just read.
func (k *checker) line() int {
	off := int(k.dec.InputOffset())
	off = min(off, len(k.data))
	// The offset is just past the token; a token never spans lines except
	// a string with escaped newlines, which still ends on its line.
	return 1 + bytes.Count(k.data[:off], []byte("\n"))
}

// document checks the whole input: one object and nothing after it.
func (k *checker) document() error {
	tok, err := k.dec.Token()
	if err == io.EOF {
		k.problems = append(k.problems, Problem{Key: "(file)", Line: 1, Message: "the file is empty; write {} for all defaults"})
		return nil
	}
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		k.add("(file)", "got %s, want a JSON object {...}", describe(tok))
		return nil
	}
	if err := k.object(reflect.TypeFor[Config](), ""); err != nil {
		return err
	}
	if _, err := k.dec.Token(); err != io.EOF {
		k.problems = append(k.problems, Problem{Key: "(file)", Line: k.line(), Message: "unexpected data after the configuration object; a file holds exactly one {...}"})
	}
	return nil
}

// object checks the members of an object whose '{' was read, against the
// struct type t.
func (k *checker) object(t reflect.Type, path string) error {
	fields := jsonFields(t)
	seen := map[string]bool{}
	for k.dec.More() {
		tok, err := k.dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		key := join(path, name)
		ft, known := fields[name]
		switch {
		case !known:
			k.add(key, "unknown key%s", suggest(name, fields))
		case seen[name]:
			k.add(key, "duplicate key; each key may appear once")
		}
		seen[name] = true
		if err := k.value(ft, key); err != nil {
			return err
		}
	}
	_, err := k.dec.Token() // '}'
	return err
}

// value reads one value and checks it against t; t == nil skips it.
func (k *checker) value(t reflect.Type, key string) error {
	tok, err := k.dec.Token()
	if err != nil {
		return err
	}
	if t == nil {
		return k.skip(tok)
	}
	if tok == nil {
		if t.Kind() != reflect.Pointer {
			k.add(key, "got null; leave the key out to use the default")
		}
		return nil
	}
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == durationType {
		switch v := tok.(type) {
		case string:
			if _, err := parseDuration(v); err != nil {
				k.add(key, "%s", strings.TrimPrefix(err.Error(), "config: "))
			}
		case json.Number:
			k.add(key, "got the number %s; durations are strings with a unit, e.g. \"%ss\" for seconds", v, v)
		default:
			k.add(key, "got %s, want a duration string such as \"90s\"", describe(tok))
			return k.skip(tok)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if d, ok := tok.(json.Delim); ok && d == '{' {
			return k.object(t, key)
		}
		k.add(key, "got %s, want an object {...}", describe(tok))
	case reflect.String:
		if _, ok := tok.(string); !ok {
			k.add(key, "got %s, want a string", describe(tok))
		}
	case reflect.Bool:
		if _, ok := tok.(bool); !ok {
			k.add(key, "got %s, want true or false", describe(tok))
		}
	case reflect.Int:
		n, ok := tok.(json.Number)
		if !ok {
			k.add(key, "got %s, want a whole number", describe(tok))
			break
		}
		if v, err := n.Int64(); err != nil || v < -1<<31 || v >= 1<<31 {
			k.add(key, "got %s, want a whole number", n)
		}
	case reflect.Slice:
		d, ok := tok.(json.Delim)
		if !ok || d != '[' {
			k.add(key, "got %s, want a list [...]", describe(tok))
			break
		}
		for i := 0; k.dec.More(); i++ {
			if err := k.value(t.Elem(), fmt.Sprintf("%s[%d]", key, i)); err != nil {
				return err
			}
		}
		_, err := k.dec.Token() // ']'
		return err
	default:
		return fmt.Errorf("config: internal: no check for %v at %s", t, key)
	}
	return k.skip(tok)
}

// skip consumes the rest of a value whose first token was tok.
func (k *checker) skip(tok json.Token) error {
	d, ok := tok.(json.Delim)
	if !ok || d == '}' || d == ']' {
		return nil
	}
	for depth := 1; depth > 0; {
		t, err := k.dec.Token()
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// syntaxProblem turns a JSON syntax or read error into a Problem.
func (k *checker) syntaxProblem(err error) Problem {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off := min(int(se.Offset), len(k.data))
		line := 1 + bytes.Count(k.data[:off], []byte("\n"))
		msg := "invalid JSON: " + strings.TrimPrefix(se.Error(), "json: ")
		if strings.Contains(msg, "character '/'") || strings.Contains(msg, "character '#'") {
			msg += " (JSON has no comments)"
		}
		if strings.Contains(msg, "looking for beginning of object key string") {
			msg += " (a trailing comma?)"
		}
		return Problem{Key: "(file)", Line: line, Message: msg}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return Problem{Key: "(file)", Line: 1 + bytes.Count(k.data, []byte("\n")), Message: "invalid JSON: the file ends inside an object or list"}
	}
	return Problem{Key: "(file)", Message: "invalid JSON: " + err.Error()}
}

// jsonFields maps the JSON names of t's exported fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		m[name] = f.Type
	}
	return m
}

// suggest returns ` (did you mean "x"?)` for a key close to a known one.
func suggest(name string, fields map[string]reflect.Type) string {
	norm := func(s string) string {
		return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(s))
	}
	best, bestDist := "", 3
	for f := range fields {
		if norm(f) == norm(name) {
			return fmt.Sprintf(" (did you mean %q?)", f)
		}
		if d := distance(name, f); d < bestDist || d == bestDist && f < best {
			best, bestDist = f, d
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

// distance is the Levenshtein distance of a and b, capped for long input.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// describe names a JSON token for messages.
func describe(tok json.Token) string {
	switch v := tok.(type) {
	case nil:
		return "null"
	case bool:
		return fmt.Sprintf("%t", v)
	case json.Number:
		return "the number " + v.String()
	case string:
		return "the string " + quote(v)
	case json.Delim:
		if v == '{' {
			return "an object"
		}
		return "a list"
	}
	return fmt.Sprintf("%v", tok)
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
