package pgtest

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if err := Shutdown(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

func query(t *testing.T, dsn, sql string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect %s: %v", dsn, err)
	}
	defer conn.Close(ctx)
	var s string
	if err := conn.QueryRow(ctx, sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func TestStart(t *testing.T) {
	tests := []struct {
		name      string
		opts      Options
		wantFsync string
		wantConns string
		wantWork  string
	}{
		{"defaults", Options{}, "off", "200", "4MB"},
		{"fsync and settings", Options{Fsync: true, MaxConnections: 50, Settings: map[string]string{"work_mem": "8MB"}}, "on", "50", "8MB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Start(tt.opts)
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			defer c.Close()
			if !strings.HasPrefix(c.Dir(), os.TempDir()) {
				t.Errorf("Dir: got %s, want it under %s", c.Dir(), os.TempDir())
			}
			dsn := c.DSN("postgres")
			if got := query(t, dsn, "SHOW fsync"); got != tt.wantFsync {
				t.Errorf("fsync: got %v, want %v", got, tt.wantFsync)
			}
			if got := query(t, dsn, "SHOW max_connections"); got != tt.wantConns {
				t.Errorf("max_connections: got %v, want %v", got, tt.wantConns)
			}
			if got := query(t, dsn, "SHOW work_mem"); got != tt.wantWork {
				t.Errorf("work_mem: got %v, want %v", got, tt.wantWork)
			}
			if got := query(t, dsn, "SHOW listen_addresses"); got != "127.0.0.1" {
				t.Errorf("listen_addresses: got %v, want 127.0.0.1", got)
			}
			if got := query(t, dsn, "SELECT split_part(current_setting('server_version'), '.', 1)"); got != "15" {
				t.Logf("server major version %v (15 expected in production)", got)
			}
			ctx := context.Background()
			db, err := c.CreateDatabase(ctx, "made")
			if err != nil {
				t.Fatalf("CreateDatabase: %v", err)
			}
			if got := query(t, db, "SELECT current_database()"); got != "made" {
				t.Errorf("current_database: got %v, want made", got)
			}
			if _, err := c.CreateDatabase(ctx, "made"); err == nil {
				t.Errorf("CreateDatabase twice: got nil error, want an error")
			}
			if err := c.DropDatabase(ctx, "made"); err != nil {
				t.Errorf("DropDatabase: %v", err)
			}

			if err := c.Close(); err != nil {
				t.Errorf("Close: got %v, want nil", err)
			}
			if err := c.Close(); err != nil {
				t.Errorf("second Close: got %v, want nil", err)
			}
			if _, err := os.Stat(c.Dir()); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("after Close, stat %s: got %v, want not exist", c.Dir(), err)
			}
			if conn, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Port()))); err == nil {
				conn.Close()
				t.Errorf("after Close, port %d: got a connection, want refused", c.Port())
			}
		})
	}
}

func TestNewDatabase(t *testing.T) {
	a, b := NewDatabase(t), NewDatabase(t)
	if a == b {
		t.Fatalf("got the same DSN twice (%s), want two databases", a)
	}
	for _, dsn := range []string{a, b} {
		if got := query(t, dsn, "SELECT count(*)::text FROM pg_tables WHERE schemaname = 'public'"); got != "0" {
			t.Errorf("tables in new database: got %v, want 0", got)
		}
	}
}

// TestNoLeftoverAfterCrash runs a test binary that starts a cluster and
// exits without closing it: the watchdog must stop the server and remove
// its directory.
func TestNoLeftoverAfterCrash(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "--", "crash-helper")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var dir, pidFile string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "cluster-dir "); ok {
			dir = d
			pidFile = d + "/data/postmaster.pid"
		}
	}
	err = cmd.Wait()
	if dir == "" {
		t.Fatalf("helper printed no cluster directory (exit: %v)", err)
	}
	if err == nil {
		t.Errorf("helper exit: got success, want the failure it forces")
	}
	pid := 0
	// The watchdog runs on its own; wait (bounded) until it has cleaned up.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, err := os.Stat(dir)
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if b, err := os.ReadFile(pidFile); err == nil && pid == 0 {
			pid, _ = strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster directory %s still exists after the test binary exited", dir)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if pid != 0 && alive(pid) {
		t.Errorf("postmaster %d still running after cleanup", pid)
	}
}

// alive reports whether process pid runs (and is not a zombie waiting for
// its new parent to reap it), allowing it a bounded time to finish exiting.
func alive(pid int) bool {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			return false
		}
		// The state follows the parenthesised command name.
		if f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:])); len(f) > 0 && f[0] == "Z" {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// TestCrashHelper is the body of TestNoLeftoverAfterCrash's child process;
// run on its own it does nothing.
func TestCrashHelper(t *testing.T) {
	if flag.Arg(0) != "crash-helper" {
		return
	}
	c, err := Start(Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	fmt.Printf("cluster-dir %s\n", c.Dir())
	os.Exit(1) // no Close, no Shutdown
}
