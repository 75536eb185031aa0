package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// lego runs the Debian lego 4.9.1 CLI as an admin would, with kakuin's TLS
// trust in LEGO_CA_CERTIFICATES. lego wants --email and the EAB flags on
// every command.
type lego struct {
	k   *kakuin
	dir string
	eab eab
	env []string
}

func (l *lego) run(t *testing.T, names []string, args ...string) (string, error) {
	t.Helper()
	full := []string{"--server", l.k.directoryURL, "--accept-tos", "--email", "admin@example.jp",
		"--eab", "--kid", l.eab.KID, "--hmac=" + l.eab.HMAC, "--path", l.dir}
	for _, n := range names {
		full = append(full, "-d", n)
	}
	full = append(full, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "lego", full...)
	cmd.Env = append(append(os.Environ(), "LEGO_CA_CERTIFICATES="+l.k.trustPEM), l.env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (l *lego) mustRun(t *testing.T, names []string, args ...string) string {
	t.Helper()
	out, err := l.run(t, names, args...)
	if err != nil {
		t.Fatalf("lego %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// bundle is the file lego writes the leaf and issuer to.
func (l *lego) bundle(name string) string {
	return filepath.Join(l.dir, "certificates", name+".crt")
}

// TestLego is the acceptance test for lego 4.9.1: obtain via http-01 with
// ECDSA and RSA keys, renew, revoke, and obtain via tls-alpn-01 and dns-01
// (exec provider) — on both storage backends.
func TestLego(t *testing.T) {
	if _, err := exec.LookPath("lego"); err != nil {
		t.Fatalf("lego is not installed (scripts/test installs it with apt-get): %v", err)
	}
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			k := startKakuin(t, backend)
			e := k.newEAB()
			httpFlags := []string{"--http", "--http.port", "127.0.0.1:" + itoa(k.http01Port)}

			l := &lego{k: k, dir: t.TempDir(), eab: e}
			ecNames := []string{"lego-ec.example.jp", "www.lego-ec.example.jp"}
			l.mustRun(t, ecNames, append(httpFlags, "--key-type", "ec256", "run")...)
			first := k.checkLeaf(t, l.bundle(ecNames[0]), ecNames, "ec256")

			l.mustRun(t, ecNames, append(httpFlags, "--key-type", "ec256", "renew", "--days", "9999", "--no-random-sleep")...)
			renewed := k.checkLeaf(t, l.bundle(ecNames[0]), ecNames, "ec256")
			if renewed.SerialNumber.Cmp(first.SerialNumber) == 0 {
				t.Errorf("renewal returned the same serial %x", first.SerialNumber)
			}
			// lego revokes the certificate of each -d name and then moves
			// its files to the archive; keep a copy to revoke it twice.
			saved := l.saveCert(t, ecNames[0])
			l.mustRun(t, ecNames[:1], "revoke", "--reason", "4")
			l.restoreCert(t, saved)
			if out, err := l.run(t, ecNames[:1], "revoke", "--reason", "4"); err == nil || !strings.Contains(out, "alreadyRevoked") {
				t.Errorf("second revoke: got err=%v, want an alreadyRevoked problem\n%s", err, out)
			}

			// A second account of the same contract needs its own
			// credential: the default binds one account per credential.
			rsa := &lego{k: k, dir: t.TempDir(), eab: k.newEAB()}
			rsaNames := []string{"lego-rsa.example.jp"}
			rsa.mustRun(t, rsaNames, append(httpFlags, "--key-type", "rsa2048", "run")...)
			k.checkLeaf(t, rsa.bundle(rsaNames[0]), rsaNames, "rsa2048")

			alpnNames := []string{"lego-alpn.example.jp"}
			l.mustRun(t, alpnNames, "--tls", "--tls.port", "127.0.0.1:"+itoa(k.tlsALPNPort), "--key-type", "ec384", "run")
			k.checkLeaf(t, l.bundle(alpnNames[0]), alpnNames, "ec384")

			dnsNames := []string{"lego-dns.example.jp"}
			l.env = []string{"EXEC_PATH=" + writeLegoExecHook(t, k)}
			l.mustRun(t, dnsNames, "--dns", "exec", "--dns.disable-cp", "--key-type", "ec256", "run")
			k.checkLeaf(t, l.bundle(dnsNames[0]), dnsNames, "ec256")
		})
	}
}

// writeLegoExecHook writes the script lego's exec DNS provider calls as
// `script present|cleanup FQDN VALUE`.
func writeLegoExecHook(t *testing.T, k *kakuin) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "lego-dns.sh")
	script := `#!/bin/sh
set -e
case "$1" in
  present) op=set-txt ;;
  cleanup) op=clear-txt ;;
  *) exit 0 ;;
esac
curl -sf -X POST -d "{\"host\":\"$2\",\"value\":\"$3\"}" ` + k.dns.ControlURL() + `/$op
`
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// saveCert copies the files lego keeps for a certificate.
func (l *lego) saveCert(t *testing.T, name string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, ext := range []string{".crt", ".key", ".json", ".issuer.crt"} {
		path := filepath.Join(l.dir, "certificates", name+ext)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("save %s: %v", path, err)
		}
		files[path] = data
	}
	return files
}

// restoreCert puts back the files saveCert copied.
func (l *lego) restoreCert(t *testing.T, files map[string][]byte) {
	t.Helper()
	for path, data := range files {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatalf("restore %s: %v", path, err)
		}
	}
}
