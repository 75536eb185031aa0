package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/jackc/pgx/v5"
)

// Options configures a cluster. The zero value suits tests.
type Options struct {
	// Fsync turns on fsync, synchronous_commit and full_page_writes, as in
	// production; a benchmark wants it. Off by default: a test cluster need
	// not survive a crash, and tests run much faster without it.
	Fsync bool
	// MaxConnections is the server's max_connections; 0 means 200.
	MaxConnections int
	// Settings are further postgresql.conf parameters (name to value), e.g.
	// {"shared_buffers": "256MB"}.
	Settings map[string]string
}

// Cluster is a running throwaway PostgreSQL cluster. Its superuser is
// "postgres", trusted without a password on 127.0.0.1 only.
type Cluster struct {
	dir  string // the temporary directory; data/ holds the cluster
	port int
	bin  string
	user string // run the server programs as this user through runuser; "" means directly

	watchdog   *exec.Cmd
	watchdogIn io.WriteCloser

	closeOnce sync.Once
	closeErr  error
}

// watchdogScript waits for its standard input to reach end of file (Close,
// or the test binary exiting in any way), then stops the cluster and
// removes its directory. Arguments: dir, data dir, then the pg_ctl command.
const watchdogScript = `trap '' INT HUP
dir=$1; data=$2; shift 2
read _ignored
"$@" -D "$data" -m immediate -w -t 60 stop >/dev/null 2>&1
rc=$?
rm -rf "$dir"
exit $rc`

// Start creates and starts a cluster: initdb into a fresh directory under
// os.TempDir(), listen on 127.0.0.1 on a free port, pg_ctl start -w. The
// caller must Close it.
func Start(opts Options) (*Cluster, error) {
	bin, err := findBinDir()
	if err != nil {
		return nil, err
	}
	user, uid, gid, err := runAs()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	c := &Cluster{dir: dir, bin: bin, user: user}
	if user != "" {
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("pgtest: %w", err)
		}
	}
	if err := c.startWatchdog(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := c.init(opts); err != nil {
		c.Close()
		return nil, err
	}
	// A free port can be taken between choosing and binding it: try again.
	for attempt := 0; ; attempt++ {
		err = c.start()
		if err == nil {
			return c, nil
		}
		if attempt == 2 {
			c.Close()
			return nil, err
		}
	}
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// command runs one of the server programs, as c.user when set.
func (c *Cluster) command(program string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, program)
	var cmd *exec.Cmd
	if c.user != "" {
		cmd = exec.Command("runuser", append([]string{"-u", c.user, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = c.dir // the server user must be able to enter the working directory
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	return cmd
}

func (c *Cluster) startWatchdog() error {
	pgctl := c.command("pg_ctl")
	args := append([]string{"-c", watchdogScript, "pgtest-watchdog", c.dir, c.data()}, pgctl.Args...)
	w := exec.Command("/bin/sh", args...)
	w.Dir = c.dir
	w.Env = pgctl.Env
	// Its own process group: a Ctrl-C to the test does not kill it before
	// it has cleaned up.
	w.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in, err := w.StdinPipe()
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	if err := w.Start(); err != nil {
		return fmt.Errorf("pgtest: starting watchdog: %w", err)
	}
	c.watchdog, c.watchdogIn = w, in
	return nil
}

func (c *Cluster) init(opts Options) error {
	if out, err := c.command("initdb", "-D", c.data(), "-U", "postgres", "--auth=trust",
		"--encoding=UTF8", "--no-locale", "--no-sync").CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: initdb: %w\n%s", err, out)
	}
	maxConns := opts.MaxConnections
	if maxConns <= 0 {
		maxConns = 200
	}
	onOff := "off"
	if opts.Fsync {
		onOff = "on"
	}
	settings := map[string]string{
		"listen_addresses":        "127.0.0.1",
		"unix_socket_directories": c.dir,
		"max_connections":         strconv.Itoa(maxConns),
		"fsync":                   onOff,
		"synchronous_commit":      onOff,
		"full_page_writes":        onOff,
		"logging_collector":       "off",
	}
	for k, v := range opts.Settings {
		settings[k] = v
	}
	names := make([]string, 0, len(settings))
	for k := range settings {
		names = append(names, k)
	}
	sort.Strings(names)
	var conf bytes.Buffer
	conf.WriteString("\n# pgtest\n")
	for _, k := range names {
		fmt.Fprintf(&conf, "%s = '%s'\n", k, strings.ReplaceAll(settings[k], "'", "''"))
	}
	f, err := os.OpenFile(filepath.Join(c.data(), "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("pgtest: %w", err)
	}
	_, err = f.Write(conf.Bytes())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("pgtest: writing postgresql.conf: %w", err)
	}
	return nil
}

// start picks a free port and starts the server on it, waiting until it
// accepts connections.
func (c *Cluster) start() error {
	port, err := freePort()
	if err != nil {
		return err
	}
	logFile := filepath.Join(c.dir, "postgres.log")
	out, err := c.command("pg_ctl", "-D", c.data(), "-l", logFile, "-o", "-p "+strconv.Itoa(port),
		"-w", "-t", "60", "start").CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(logFile)
		return fmt.Errorf("pgtest: pg_ctl start: %w\n%s\n%s", err, out, tail(log, 2000))
	}
	c.port = port
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pgtest: finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// Port returns the TCP port the server listens on at 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// Dir returns the cluster's temporary directory (removed by Close).
func (c *Cluster) Dir() string { return c.dir }

// DSN returns a connection URL for database db as the superuser.
func (c *Cluster) DSN(db string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// CreateDatabase creates an empty database and returns its DSN.
func (c *Cluster) CreateDatabase(ctx context.Context, name string) (string, error) {
	if err := c.admin(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("pgtest: creating database %q: %w", name, err)
	}
	return c.DSN(name), nil
}

// DropDatabase drops a database, ending its open connections.
func (c *Cluster) DropDatabase(ctx context.Context, name string) error {
	if err := c.admin(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("pgtest: dropping database %q: %w", name, err)
	}
	return nil
}

func (c *Cluster) admin(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// Close stops the server (pg_ctl stop -m immediate) and removes the
// cluster's directory. It is safe to call more than once.
func (c *Cluster) Close() error {
	c.closeOnce.Do(func() {
		c.watchdogIn.Close() // the watchdog stops the server and removes the directory
		err := c.watchdog.Wait()
		var exit *exec.ExitError
		if errors.As(err, &exit) && c.port == 0 {
			err = nil // never started: stop had nothing to stop
		}
		if err != nil {
			c.closeErr = fmt.Errorf("pgtest: stopping cluster in %s: %w", c.dir, err)
		}
		if err := os.RemoveAll(c.dir); err != nil && c.closeErr == nil {
			c.closeErr = fmt.Errorf("pgtest: %w", err)
		}
	})
	return c.closeErr
}
