package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kakuin/kakuin/internal/linttest"
)

// kakuinServer is a `kakuin serve --dev --bench-always-valid` process on
// SQLite, built from this module.
type kakuinServer struct {
	bin, data    string
	directoryURL string
	tls          *tls.Config
	officers     sync.Once // the vetting officers are added once
}

// lockedBuffer collects a process's output for a test's logs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var directoryLine = regexp.MustCompile(`ACME directory:\s+(\S+)`)

// startKakuin builds cmd/kakuin and starts it on a free 127.0.0.1 port with
// a fresh data directory; it is stopped when the test ends.
func startKakuin(t *testing.T) *kakuinServer {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go command not found: %v", err)
	}
	dir := t.TempDir()
	k := &kakuinServer{bin: filepath.Join(dir, "kakuin"), data: filepath.Join(dir, "data")}
	if out, err := exec.Command(goBin, "build", "-o", k.bin, "github.com/kakuin/kakuin/cmd/kakuin").CombinedOutput(); err != nil {
		t.Fatalf("building kakuin: %v\n%s", err, out)
	}
	cmd := exec.Command(k.bin, "serve", "--dev", "--bench-always-valid", "--data", k.data,
		"--listen", freeAddr(t), "--http-listen", freeAddr(t))
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// exited is closed once the process has exited (waitErr is then its
	// status), so the loop below and the cleanup can both wait for it.
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
			t.Errorf("kakuin did not stop within 20s of SIGTERM")
		}
		if t.Failed() {
			t.Logf("kakuin output:\n%s", out)
		}
	})
	for deadline := time.Now().Add(60 * time.Second); k.directoryURL == ""; {
		select {
		case <-exited:
			t.Fatalf("kakuin exited: %v\n%s", waitErr, out)
		case <-time.After(50 * time.Millisecond):
		}
		if m := directoryLine.FindStringSubmatch(out.String()); m != nil {
			k.directoryURL = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("kakuin printed no ACME directory within 60s\n%s", out)
		}
	}
	trust, err := os.ReadFile(filepath.Join(k.data, "tls", "tls-ca.pem"))
	if err != nil {
		t.Fatalf("kakuin's dev TLS trust: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(trust) {
		t.Fatal("no certificate in kakuin's dev TLS trust PEM")
	}
	k.tls = &tls.Config{RootCAs: pool}
	return k
}

// freeAddr returns a 127.0.0.1 address whose port was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// cli runs a kakuin operator command with --json against k's data.
func (k *kakuinServer) cli(t *testing.T, args ...string) map[string]any {
	t.Helper()
	args = append(args, "--data", k.data, "--json")
	out, err := exec.Command(k.bin, args...).Output()
	if err != nil {
		t.Fatalf("kakuin %v: %v", args, err)
	}
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("kakuin %v: %v\n%s", args, err, out)
	}
	return v
}

// vet approves the organization's OV identity and its use of the bench
// names' registered domain, as officers do with the CLI, so that the
// vetting gate lets the benchmark's orders through.
func (k *kakuinServer) vet(t *testing.T, org string) {
	t.Helper()
	k.officers.Do(func() {
		k.cli(t, "officer", "add", "sato", "--role", "specialist")
		k.cli(t, "officer", "add", "tanaka", "--role", "approver")
	})
	for _, c := range [][]string{{"--kind", "identity", "--level", "ov"}, {"--kind", "domain", "--subject", "example.jp"}} {
		opened := k.cli(t, append([]string{"vet", "open", "--org", org, "--officer", "sato", "--reason", "bench"}, c...)...)
		id := strconv.Itoa(int(opened["id"].(float64)))
		for _, item := range opened["required"].([]any) {
			k.cli(t, "vet", "evidence", id, "--officer", "sato", "--item", item.(string), "--note", "bench")
		}
		k.cli(t, "vet", "approve", id, "--officer", "tanaka")
	}
}

// newEAB creates an organization, vets it, and creates a contract and an
// EAB credential.
func (k *kakuinServer) newEAB(t *testing.T) (kid, hmac string) {
	t.Helper()
	org := k.cli(t, "org", "create", "--name", "Bench KK", "--country", "JP", "--province", "Tokyo", "--locality", "Chiyoda-ku")
	id, _ := org["id"].(float64)
	k.vet(t, strconv.Itoa(int(id)))
	contract := k.cli(t, "contract", "create", "--org", strconv.Itoa(int(id)), "--plan", "monthly", "--slots", "1000")
	code, _ := contract["code"].(string)
	eab := k.cli(t, "eab", "create", "--contract", code)
	kid, _ = eab["kid"].(string)
	hmac, _ = eab["hmac"].(string)
	if kid == "" || hmac == "" {
		t.Fatalf("eab create: got %v, want kid and hmac", eab)
	}
	return kid, hmac
}

// newKakuinClient returns a client with k's directory, not registered.
func newKakuinClient(t *testing.T, k *kakuinServer) *client {
	t.Helper()
	// Every leaf the test's flows get is linted.
	c := &client{http: NewHTTPClient(k.tls, 2), key: newTestKey(t), onChain: func(chain []byte) {
		if block, _ := pem.Decode(chain); block != nil {
			linttest.Certificate(t, block.Bytes, linttest.Subscriber, linttest.Dev)
		}
	}}
	if err := c.fetchDirectory(context.Background(), k.directoryURL); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAgainstKakuin runs the client against kakuin's own server: account
// registration with and without a valid EAB credential, single flows, and
// a short Run.
func TestAgainstKakuin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts kakuin")
	}
	k := startKakuin(t)
	ctx := context.Background()

	t.Run("register", func(t *testing.T) {
		kid, hmac := k.newEAB(t)
		key, err := decodeEABKey(hmac)
		if err != nil {
			t.Fatal(err)
		}
		wrongKey := bytes.Repeat([]byte{7}, len(key))
		tests := []struct {
			name       string
			kid        string
			key        []byte
			wantStatus int // 0 for success
		}{
			{name: "no EAB", wantStatus: 400},
			{name: "unknown key ID", kid: "kak_unknown", key: key, wantStatus: 400},
			{name: "wrong MAC key", kid: kid, key: wrongKey, wantStatus: 400},
			{name: "valid EAB", kid: kid, key: key},
			{name: "credential already used", kid: kid, key: key, wantStatus: 400},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				c := newKakuinClient(t, k)
				err := c.register(ctx, tt.kid, tt.key)
				if tt.wantStatus == 0 {
					if err != nil || c.kid == "" {
						t.Fatalf("got %v (kid %q), want an account", err, c.kid)
					}
					return
				}
				var p *problem
				if !errors.As(err, &p) || p.Status/100 != tt.wantStatus/100 {
					t.Errorf("got %v, want an HTTP %dxx problem", err, tt.wantStatus/100)
				}
			})
		}
	})

	t.Run("flows", func(t *testing.T) {
		kid, hmac := k.newEAB(t)
		key, err := decodeEABKey(hmac)
		if err != nil {
			t.Fatal(err)
		}
		c := newKakuinClient(t, k)
		if err := c.register(ctx, kid, key); err != nil {
			t.Fatal(err)
		}
		for _, per := range []int{1, 3} {
			t.Run(fmt.Sprintf("%d names", per), func(t *testing.T) {
				if err := c.flow(ctx, newNameGen(defaultDomain, per).next()); err != nil {
					t.Errorf("got %v, want a certificate", err)
				}
			})
		}
		t.Run("refused name", func(t *testing.T) {
			err := c.flow(ctx, []string{"bench..example.jp"})
			var p *problem
			if !errors.As(err, &p) || p.Status != 400 {
				t.Errorf("got %v, want an HTTP 400 problem", err)
			}
		})
	})

	t.Run("run", func(t *testing.T) {
		kid, hmac := k.newEAB(t)
		res, err := Run(ctx, Options{
			DirectoryURL: k.directoryURL, TLSConfig: k.tls, EABKeyID: kid, EABHMACKey: hmac,
			Concurrency: 2, Duration: 2 * time.Second, Warmup: 200 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Errors != 0 || res.Certs == 0 {
			t.Errorf("got %v, want certificates and no errors", res)
		}
		if res.P50 > res.P99 || res.P99 > res.Max || res.Concurrency != 2 {
			t.Errorf("got %v, want p50 ≤ p99 ≤ max and C=2", res)
		}
	})

	t.Run("run refused", func(t *testing.T) {
		_, err := Run(ctx, Options{
			DirectoryURL: k.directoryURL, TLSConfig: k.tls, EABKeyID: "kak_unknown", EABHMACKey: "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
			Concurrency: 1, Duration: time.Second,
		})
		if err == nil {
			t.Errorf("got nil error, want newAccount refused")
		}
	})
}
