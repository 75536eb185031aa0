package pgtest

import (
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// errNoBinaries is returned when no PostgreSQL server binaries are found.
var errNoBinaries = errors.New("pgtest: PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH " +
	"or under /usr/lib/postgresql/*/bin; install them with `apt-get install postgresql-15`")

// findBinDir returns the directory holding initdb, pg_ctl and postgres: the
// one of initdb on PATH, else the newest /usr/lib/postgresql/*/bin.
func findBinDir() (string, error) {
	return findBinDirIn(exec.LookPath, "/usr/lib/postgresql/*/bin")
}

// findBinDirIn is findBinDir with the PATH lookup and the directory glob as
// parameters.
func findBinDirIn(lookPath func(string) (string, error), pattern string) (string, error) {
	if p, err := lookPath("initdb"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		if dir := filepath.Dir(p); complete(dir) {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob(pattern)
	sort.Slice(dirs, func(i, j int) bool { return majorOf(dirs[i]) > majorOf(dirs[j]) })
	for _, dir := range dirs {
		if complete(dir) {
			return dir, nil
		}
	}
	return "", errNoBinaries
}

// complete reports whether dir has every program a cluster needs.
func complete(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// majorOf returns the version in /usr/lib/postgresql/VERSION/bin, or 0.
func majorOf(binDir string) int {
	v, _ := strconv.Atoi(strings.Split(filepath.Base(filepath.Dir(binDir)), ".")[0])
	return v
}

// runAs returns the account the server programs must run as, with its uid
// and gid, when the process is root; "" when it is not root.
func runAs() (name string, uid, gid int, err error) {
	if os.Geteuid() != 0 {
		return "", -1, -1, nil
	}
	var u *user.User
	for _, name := range []string{"postgres", "nobody"} {
		if u, err = user.Lookup(name); err == nil {
			break
		}
	}
	if err != nil {
		return "", 0, 0, errors.New("pgtest: running as root and neither user postgres nor nobody exists")
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return u.Username, uid, gid, nil
}
