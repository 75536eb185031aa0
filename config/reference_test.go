package config

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite reference.md from the Config type")

// TestReferenceUpToDate renders the configuration reference from the
// Config type (JSON tags, doc comments in config.go, Default(), flags and
// environment variables) and compares it with reference.md. Run
//
//	go test ./config -run TestReferenceUpToDate -update
//
// after changing the configuration.
func TestReferenceUpToDate(t *testing.T) {
	got, err := renderReference()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("reference.md", []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile("reference.md")
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("reference.md is out of date; run: go test ./config -run TestReferenceUpToDate -update\n--- got\n%s", got)
	}
}

// TestReferenceNamesEveryKey checks the reference independently of the
// renderer: every JSON key, flag and environment variable appears.
func TestReferenceNamesEveryKey(t *testing.T) {
	ref, err := os.ReadFile("reference.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range allKeys(reflect.TypeFor[Config](), "") {
		if !strings.Contains(string(ref), "`"+key+"`") {
			t.Errorf("reference.md does not mention `%s`", key)
		}
	}
	for _, f := range flagSpecs {
		if !strings.Contains(string(ref), "`--"+f.name+"`") {
			t.Errorf("reference.md does not mention `--%s`", f.name)
		}
	}
	for _, e := range envVars {
		if !strings.Contains(string(ref), "`"+e.name+"`") {
			t.Errorf("reference.md does not mention `%s`", e.name)
		}
	}
}

// allKeys returns the dotted JSON keys of t's leaves.
func allKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "" {
			continue
		}
		if f.Type.Kind() == reflect.Struct && f.Type != durationType {
			keys = append(keys, allKeys(f.Type, join(prefix, name))...)
			continue
		}
		keys = append(keys, join(prefix, name))
	}
	return keys
}

// fieldDocs returns the doc comments of the struct fields declared in
// config.go, keyed "Type.Field".
func fieldDocs() (map[string]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "config.go", nil, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	docs := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok {
			return true
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			return false
		}
		for _, fl := range st.Fields.List {
			for _, name := range fl.Names {
				docs[ts.Name.Name+"."+name.Name] = strings.Join(strings.Fields(fl.Doc.Text()), " ")
			}
		}
		return false
	})
	return docs, nil
}

const referenceIntro = `# Configuration reference

<!-- Generated from config/config.go by TestReferenceUpToDate; after changing the configuration run
     go test ./config -run TestReferenceUpToDate -update -->

kakuin reads its configuration from one JSON file (` + "`--config kakuin.json`" + `), a few environment
variables and command-line flags. Later sources win: built-in defaults < file < environment < flags.
The file is read strictly: unknown or duplicate keys, values of the wrong type and trailing data are
errors naming the key, the file and the line, and every problem is reported at once. A missing key
takes its default, so ` + "`{}`" + ` (or no file) with ` + "`--dev`" + ` is a working development setup.
Durations are strings with a unit: ` + "`\"90s\"`, `\"15m\"`, `\"168h\"`" + `; numbers are refused.
A number key set to 0 takes its default.

Defaults derived from other keys (` + "`database.dsn`, `ca.dir`" + ` and the dev TLS files from ` + "`data_dir`" + `,
` + "`base_url` from `listen`, `database.migrate_on_start` and `validation.allow_private` from `dev`" + `) are
computed after all sources are applied, for keys no source set: ` + "`--data /srv/kakuin`" + ` moves the
SQLite database and the CA directory along. The defaults below are those of a non-dev configuration.
`

// renderReference renders reference.md.
func renderReference() (string, error) {
	docs, err := fieldDocs()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(referenceIntro)
	def := reflect.ValueOf(Default()).Elem()
	ct := def.Type()

	b.WriteString("\n## Top level\n\n")
	writeTableHead(&b)
	for i := 0; i < ct.NumField(); i++ {
		f := ct.Field(i)
		if !f.IsExported() || f.Type.Kind() == reflect.Struct {
			continue
		}
		if err := writeRow(&b, docs, ct.Name(), f, def.Field(i), ""); err != nil {
			return "", err
		}
	}
	for i := 0; i < ct.NumField(); i++ {
		f := ct.Field(i)
		if !f.IsExported() || f.Type.Kind() != reflect.Struct {
			continue
		}
		section := jsonName(f)
		fmt.Fprintf(&b, "\n## `%s`\n\n%s\n\n", section, docs[ct.Name()+"."+f.Name])
		writeTableHead(&b)
		for j := 0; j < f.Type.NumField(); j++ {
			if err := writeRow(&b, docs, f.Type.Name(), f.Type.Field(j), def.Field(i).Field(j), section); err != nil {
				return "", err
			}
		}
	}
	b.WriteString("\n## Flags and environment\n\n| flag | environment | key |\n| --- | --- | --- |\n")
	keys := map[string]bool{}
	for _, f := range flagSpecs {
		keys[f.key] = true
	}
	for _, e := range envVars {
		keys[e.key] = true
	}
	for _, key := range allKeys(ct, "") {
		if keys[key] {
			fmt.Fprintf(&b, "| %s | %s | `%s` |\n", orDash(flagFor(key)), orDash(envFor(key)), key)
		}
	}
	b.WriteString("\n`--config` names the file. `--dev` alone means true.\n")
	return b.String(), nil
}

func writeTableHead(b *strings.Builder) {
	b.WriteString("| key | type | default | meaning |\n| --- | --- | --- | --- |\n")
}

func writeRow(b *strings.Builder, docs map[string]string, typeName string, f reflect.StructField, v reflect.Value, section string) error {
	doc := docs[typeName+"."+f.Name]
	if doc == "" {
		return fmt.Errorf("field %s.%s has no doc comment", typeName, f.Name)
	}
	key := join(section, jsonName(f))
	meaning := meaningOf(f.Name, doc)
	if fl := flagFor(key); fl != "" {
		meaning += " Flag " + fl + "."
	}
	if env := envFor(key); env != "" {
		meaning += " Environment " + env + "."
	}
	fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", key, typeOf(f.Type), defaultOf(v), strings.ReplaceAll(meaning, "|", `\|`))
	return nil
}

// meaningOf turns "Listen is the host:port ..." into "The host:port ...".
func meaningOf(field, doc string) string {
	s := strings.TrimPrefix(doc, field+" ")
	for _, verb := range []string{"is ", "are "} {
		s = strings.TrimPrefix(s, verb)
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

func typeOf(t reflect.Type) string {
	if t == durationType {
		return "duration"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Pointer:
		return typeOf(t.Elem())
	case reflect.Int:
		return "integer"
	case reflect.Slice:
		return "list of " + typeOf(t.Elem()) + "s"
	}
	return t.String()
}

func defaultOf(v reflect.Value) string {
	if d, ok := v.Interface().(Duration); ok {
		return "`\"" + d.String() + "\"`"
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return "(none)"
		}
		return defaultOf(v.Elem())
	case reflect.String:
		if v.String() == "" {
			return "(empty)"
		}
		return "`\"" + v.String() + "\"`"
	case reflect.Slice:
		if v.Len() == 0 {
			return "(none)"
		}
	}
	return fmt.Sprintf("`%v`", v.Interface())
}

func flagFor(key string) string {
	for _, f := range flagSpecs {
		if f.key == key {
			return "`--" + f.name + "`"
		}
	}
	return ""
}

func envFor(key string) string {
	for _, e := range envVars {
		if e.key == key {
			return "`" + e.name + "`"
		}
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}
