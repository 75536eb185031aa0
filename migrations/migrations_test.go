package migrations

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func TestList(t *testing.T) {
	for _, d := range []string{SQLite, Postgres} {
		t.Run(d, func(t *testing.T) {
			ms, err := List(d)
			if err != nil {
				t.Fatalf("List(%q): got error %v, want nil", d, err)
			}
			if got, want := ms[0].Name, "0001_init"; got != want {
				t.Errorf("first migration: got %q, want %q", got, want)
			}
			if !strings.Contains(ms[0].SQL, "CREATE TABLE schema_migrations") {
				t.Errorf("0001_init does not create schema_migrations")
			}
		})
	}
	t.Run("unknown dialect", func(t *testing.T) {
		if _, err := List("mysql"); err == nil {
			t.Errorf("List(mysql): got nil error, want an error")
		}
	})
}

// TestDialectsAgree checks both dialects have the same migrations and create
// the same tables.
func TestDialectsAgree(t *testing.T) {
	lite, err := List(SQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := List(Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) != len(pg) {
		t.Fatalf("got %d sqlite and %d postgres migrations, want the same number", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].Name != pg[i].Name {
			t.Errorf("migration %d: got sqlite %q and postgres %q, want equal names", i+1, lite[i].Name, pg[i].Name)
		}
		if got, want := objects(lite[i].SQL), objects(pg[i].SQL); got != want {
			t.Errorf("migration %s: got sqlite objects %q, want postgres's %q", lite[i].Name, got, want)
		}
	}
}

// objects lists the tables and indexes a migration creates, in order.
func objects(sql string) string {
	var out []string
	for _, line := range strings.Split(sql, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[0] == "CREATE" && f[1] == "TABLE":
			out = append(out, "table "+f[2])
		case len(f) >= 3 && f[0] == "CREATE" && f[1] == "INDEX":
			out = append(out, "index "+f[2])
		}
	}
	return strings.Join(out, ",")
}

func TestListRejects(t *testing.T) {
	tests := []struct {
		name  string
		files []string
	}{
		{"gap", []string{"d/0001_init.sql", "d/0003_more.sql"}},
		{"repeat", []string{"d/0001_init.sql", "d/0001_again.sql"}},
		{"not from one", []string{"d/0002_init.sql"}},
		{"bad name", []string{"d/0001_init.sql", "d/2_more.sql"}},
		{"upper case", []string{"d/0001_Init.sql"}},
		{"empty", []string{"d/README"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{}
			for _, f := range tt.files {
				fsys[f] = &fstest.MapFile{Data: []byte("SELECT 1;")}
			}
			if tt.name == "empty" {
				delete(fsys, "d/README")
				fsys["d"] = &fstest.MapFile{Mode: fs.ModeDir | 0o755}
			}
			if ms, err := list(fsys, "d"); err == nil {
				t.Errorf("list(%v): got %d migrations and nil error, want an error", tt.files, len(ms))
			}
		})
	}
	t.Run("good", func(t *testing.T) {
		fsys := fstest.MapFS{
			"d/0002_more.sql": &fstest.MapFile{Data: []byte("B")},
			"d/0001_init.sql": &fstest.MapFile{Data: []byte("A")},
		}
		ms, err := list(fsys, "d")
		if err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		if len(ms) != 2 || ms[0].Name != "0001_init" || ms[1].Version != 2 || ms[1].SQL != "B" {
			t.Errorf("got %+v, want 0001_init then 0002_more", ms)
		}
		// SHA-256 of "A" and of "B".
		wantSums := []string{
			"559aead08264d5795d3909718cdd05abd49572e84fe55590eef31a88a08fdffd",
			"df7e70e5021544f4834bbee64a9e3789febc4be81470df629cad6ddb03320a5c",
		}
		for i, m := range ms {
			if m.Checksum != wantSums[i] {
				t.Errorf("%s checksum: got %s, want %s", m.Name, m.Checksum, wantSums[i])
			}
		}
	})
}
