package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestOCSPResponderAlone runs `kakuin ocsp` as its own process beside
// `kakuin serve`, on PostgreSQL through a role that may only SELECT: it
// answers "good" for a certificate certbot obtained from the server,
// "revoked" soon after `certbot revoke`, and unauthorized (never "good")
// for a serial never issued, where the server itself, which holds the
// keys, signs "unknown".
func TestOCSPResponderAlone(t *testing.T) {
	for _, tool := range []string{"certbot", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (scripts/test installs it with apt-get): %v", tool, err)
		}
	}
	k := startKakuin(t, "postgres")
	roDSN := readOnlyRole(t, k.dbFlags[3])

	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cmd := exec.Command(kakuinBin, "ocsp", "--data", k.dataDir, "--db-driver", "postgres", "--db-dsn", roDSN, "--http-listen", addr)
	out := &syncWriter{buf: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("kakuin ocsp did not stop within 20s of SIGTERM")
		}
		if t.Failed() {
			t.Logf("kakuin ocsp output:\n%s", out)
		}
	})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			break
		}
		select {
		case <-done:
			t.Fatalf("kakuin ocsp exited:\n%s", out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("kakuin ocsp does not listen on %s:\n%s", addr, out)
		}
	}
	alone := "http://" + addr + "/ocsp"

	c := &certbot{k: k, dir: t.TempDir(), eab: k.newEAB()}
	names := []string{"alone.status.example.jp"}
	c.certonly(t, "alone", names, append(c.standalone(), "--key-type", "ecdsa", "--elliptic-curve", "secp256r1")...)
	k.checkLeaf(t, c.live("alone", "fullchain.pem"), names, "ec256")
	certPEM, chainPEM := c.live("alone", "cert.pem"), c.live("alone", "chain.pem")
	query := func() string {
		return opensslOCSPAt(t, alone, k.rootPEM, "-issuer", chainPEM, "-cert", certPEM, "-verify_other", chainPEM)
	}
	wantOCSP(t, query(), certPEM, "good")

	c.mustRun(t, "revoke", "--server", k.directoryURL, "--cert-name", "alone", "--reason", "cessationofoperation", "--no-delete-after-revoke")
	var got string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if got = query(); strings.Contains(got, ": revoked") {
			break
		}
	}
	wantOCSP(t, got, certPEM, "revoked")
	if !strings.Contains(got, "Reason: cessationOfOperation") {
		t.Errorf("kakuin ocsp after revoke: want Reason: cessationOfOperation, got\n%s", got)
	}

	serial := make([]byte, 16)
	rand.Read(serial)
	never := "0x" + hex.EncodeToString(serial)
	if got := opensslOCSPAt(t, alone, k.rootPEM, "-issuer", chainPEM, "-serial", never); !strings.Contains(got, "Responder Error: unauthorized") {
		t.Errorf("kakuin ocsp, serial never issued: want unauthorized, got\n%s", got)
	}
	got = opensslOCSPAt(t, "http://"+k.httpListen+"/ocsp", k.rootPEM, "-issuer", chainPEM, "-serial", never, "-verify_other", chainPEM)
	if !strings.Contains(got, ": unknown") || !strings.Contains(got, "Response verify OK") {
		t.Errorf("kakuin serve, serial never issued: want a verified unknown, got\n%s", got)
	}
}

// readOnlyRole creates a login role that may only read the database of
// dsn (a superuser DSN) and returns the DSN to connect as it.
func readOnlyRole(t *testing.T, dsn string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	suffix := make([]byte, 4)
	rand.Read(suffix)
	role := "ocsp_ro_" + hex.EncodeToString(suffix)
	for _, q := range []string{
		"CREATE ROLE " + role + " LOGIN",
		"GRANT CONNECT ON DATABASE " + pgx.Identifier{conn.Config().Database}.Sanitize() + " TO " + role,
		"GRANT USAGE ON SCHEMA public TO " + role,
		"GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + role,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		c.Exec(ctx, "DROP OWNED BY "+role)
		c.Exec(ctx, "DROP ROLE "+role)
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	return u.String()
}
