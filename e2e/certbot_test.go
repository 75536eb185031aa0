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

// certbot runs certbot 2.1 as an admin would, with its state in dir and
// kakuin's TLS trust in REQUESTS_CA_BUNDLE.
type certbot struct {
	k   *kakuin
	dir string
	eab eab
}

func (c *certbot) run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	full := append([]string{
		"--non-interactive",
		"--config-dir", filepath.Join(c.dir, "c"),
		"--work-dir", filepath.Join(c.dir, "w"),
		"--logs-dir", filepath.Join(c.dir, "l"),
	}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "certbot", full...)
	cmd.Env = append(os.Environ(), "REQUESTS_CA_BUNDLE="+c.k.trustPEM)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// mustRun runs certbot and fails the test with certbot's own log on error
// (certbot 2.1 prints a Python error instead of the server's problem).
func (c *certbot) mustRun(t *testing.T, args ...string) {
	t.Helper()
	if out, err := c.run(t, args...); err != nil {
		t.Fatalf("certbot %s: %v\n%s\n--- certbot log ---\n%s", args[0], err, out, c.log(t))
	}
}

func (c *certbot) log(t *testing.T) string {
	data, _ := os.ReadFile(filepath.Join(c.dir, "l", "letsencrypt.log"))
	return string(data)
}

func (c *certbot) certonly(t *testing.T, certName string, names []string, extra ...string) {
	t.Helper()
	args := []string{"certonly", "--agree-tos", "--register-unsafely-without-email",
		"--server", c.k.directoryURL, "--eab-kid", c.eab.KID, "--eab-hmac-key=" + c.eab.HMAC,
		"--cert-name", certName}
	for _, n := range names {
		args = append(args, "-d", n)
	}
	c.mustRun(t, append(args, extra...)...)
}

// standalone are the certbot flags for http-01 with its own server on
// kakuin's validation port.
func (c *certbot) standalone() []string {
	return []string{"--standalone", "--http-01-address", "127.0.0.1",
		"--http-01-port", itoa(c.k.http01Port), "--preferred-challenges", "http"}
}

func (c *certbot) live(certName, file string) string {
	return filepath.Join(c.dir, "c", "live", certName, file)
}

// TestCertbot is the acceptance test for certbot 2.1: register with EAB,
// obtain certificates for two names with ECDSA and RSA keys via http-01,
// renew, revoke, and obtain one via dns-01 through manual hooks — on both
// storage backends.
func TestCertbot(t *testing.T) {
	if _, err := exec.LookPath("certbot"); err != nil {
		t.Fatalf("certbot is not installed (scripts/test installs it with apt-get): %v", err)
	}
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			k := startKakuin(t, backend)
			c := &certbot{k: k, dir: t.TempDir(), eab: k.newEAB()}
			standalone := c.standalone()

			ecNames := []string{"www.certbot-ec.example.jp", "certbot-ec.example.jp"}
			c.certonly(t, "ec", ecNames, append(standalone, "--key-type", "ecdsa", "--elliptic-curve", "secp256r1")...)
			first := k.checkLeaf(t, c.live("ec", "fullchain.pem"), ecNames, "ec256")

			rsaNames := []string{"certbot-rsa.example.jp", "www.certbot-rsa.example.jp"}
			c.certonly(t, "rsa", rsaNames, append(standalone, "--key-type", "rsa", "--rsa-key-size", "2048")...)
			k.checkLeaf(t, c.live("rsa", "fullchain.pem"), rsaNames, "rsa2048")

			c.mustRun(t, append([]string{"renew", "--cert-name", "ec", "--force-renewal", "--no-random-sleep-on-renew"}, standalone...)...)
			renewed := k.checkLeaf(t, c.live("ec", "fullchain.pem"), ecNames, "ec256")
			if renewed.SerialNumber.Cmp(first.SerialNumber) == 0 {
				t.Errorf("renewal returned the same serial %x", first.SerialNumber)
			}

			c.mustRun(t, "revoke", "--server", k.directoryURL, "--cert-name", "ec", "--reason", "keycompromise", "--no-delete-after-revoke")
			// A second revocation must be refused as alreadyRevoked; certbot
			// 2.1 prints a Python error, the problem is in its log.
			if out, err := c.run(t, "revoke", "--server", k.directoryURL, "--cert-name", "ec", "--reason", "keycompromise", "--no-delete-after-revoke"); err == nil {
				t.Errorf("second revoke succeeded, want alreadyRevoked\n%s", out)
			} else if log := c.log(t); !strings.Contains(log, "urn:ietf:params:acme:error:alreadyRevoked") {
				t.Errorf("second revoke: certbot log does not show alreadyRevoked\n%s", tail(log, 3000))
			}

			hook := writeDNSHooks(t, k)
			dnsNames := []string{"certbot-dns.example.jp"}
			c.certonly(t, "dns", dnsNames, "--manual", "--preferred-challenges", "dns",
				"--manual-auth-hook", hook.auth, "--manual-cleanup-hook", hook.cleanup,
				"--key-type", "ecdsa", "--elliptic-curve", "secp384r1")
			k.checkLeaf(t, c.live("dns", "fullchain.pem"), dnsNames, "ec384")
		})
	}
}

// dnsHooks are certbot manual hook scripts that publish the dns-01 TXT
// record through the test DNS server's control API.
type dnsHooks struct{ auth, cleanup string }

func writeDNSHooks(t *testing.T, k *kakuin) dnsHooks {
	t.Helper()
	dir := t.TempDir()
	h := dnsHooks{auth: filepath.Join(dir, "auth.sh"), cleanup: filepath.Join(dir, "cleanup.sh")}
	script := func(path string) string {
		return "#!/bin/sh\nset -e\ncurl -sf -X POST -d \"{\\\"host\\\":\\\"_acme-challenge.$CERTBOT_DOMAIN.\\\",\\\"value\\\":\\\"$CERTBOT_VALIDATION\\\"}\" " +
			k.dns.ControlURL() + path + "\n"
	}
	if err := os.WriteFile(h.auth, []byte(script("/set-txt")), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.cleanup, []byte(script("/clear-txt")), 0o755); err != nil {
		t.Fatal(err)
	}
	return h
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}
