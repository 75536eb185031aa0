package config

import (
	"strconv"
	"strings"
)

// Problem is one invalid setting.
type Problem struct {
	// Key is the setting's dotted JSON path, e.g. "validation.timeout".
	Key string
	// Line is the line of the file it was found on; 0 when not from a
	// file or not known.
	Line int
	// Message says what is wrong and what is accepted.
	Message string
}

// String returns "[line N: ]key: message".
func (p Problem) String() string {
	s := p.Key + ": " + p.Message
	if p.Line > 0 {
		s = "line " + strconv.Itoa(p.Line) + ": " + s
	}
	return s
}

// Error lists every problem of a configuration at once.
type Error struct {
	// Source is the file the configuration came from, if any.
	Source   string
	Problems []Problem
}

// Error returns "config: <source>: <problem>" for one problem, and one
// problem per indented line for more.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	if e.Source != "" {
		b.WriteString(e.Source)
		b.WriteString(": ")
	}
	if len(e.Problems) == 1 {
		b.WriteString(e.Problems[0].String())
		return b.String()
	}
	b.WriteString(strconv.Itoa(len(e.Problems)))
	b.WriteString(" problems:")
	for _, p := range e.Problems {
		b.WriteString("\n\t")
		b.WriteString(p.String())
	}
	return b.String()
}

// Has reports whether e has a problem with key.
func (e *Error) Has(key string) bool {
	for _, p := range e.Problems {
		if p.Key == key {
			return true
		}
	}
	return false
}
