package vetting

import (
	"fmt"
	"strings"
)

// FieldError is one invalid field of operator input.
type FieldError struct {
	// Field is the input field's name as an operator writes it
	// ("name", "country", "organization_id", ...).
	Field string
	// Problem says what is wrong and how to fix it.
	Problem string
}

// InputError lists every invalid field of one input record. It wraps
// ErrInvalid.
type InputError struct {
	// Record is what was being entered: "organization", "contract", ...
	Record string
	Fields []FieldError
}

// Error returns "vetting: invalid <record>: <field>: <problem>; ...".
func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString("vetting: invalid ")
	b.WriteString(e.Record)
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(f.Field)
		b.WriteString(": ")
		b.WriteString(f.Problem)
	}
	return b.String()
}

// Unwrap returns ErrInvalid.
func (e *InputError) Unwrap() error { return ErrInvalid }

// inputErrors collects field problems of one record.
type inputErrors struct {
	record string
	fields []FieldError
}

func (ie *inputErrors) add(field, format string, args ...any) {
	ie.fields = append(ie.fields, FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
}

// err returns an *InputError, or nil when no problem was added.
func (ie *inputErrors) err() error {
	if len(ie.fields) == 0 {
		return nil
	}
	return &InputError{Record: ie.record, Fields: ie.fields}
}

// kindError is an error with its own message that wraps one sentinel (and
// optionally the store error that caused it) without repeating their text.
type kindError struct {
	kind  error
	msg   string
	cause error
}

func (e *kindError) Error() string { return e.msg }

// ClientDetail is the message without the package prefix, for the ACME
// problem detail: it names only what the caller sent (a kid, a contract
// code) and the record's state, never the wrapped cause.
func (e *kindError) ClientDetail() string { return strings.TrimPrefix(e.msg, "vetting: ") }

func (e *kindError) Unwrap() []error {
	if e.cause != nil {
		return []error{e.kind, e.cause}
	}
	return []error{e.kind}
}

// errorf returns an error wrapping kind whose message is "vetting: " and
// the formatted text.
func errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: "vetting: " + fmt.Sprintf(format, args...)}
}

// quote returns s quoted for an error message, shortened if long, so that
// operator input of any size never floods a log.
func quote(s string) string {
	const max = 40
	r := []rune(s)
	if len(r) > max {
		return fmt.Sprintf("%q…", string(r[:max]))
	}
	return fmt.Sprintf("%q", s)
}
