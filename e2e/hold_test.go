package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestVettingHoldClients is the vetting hold as customers live it, with
// certbot 2.1 and lego 4.9.1 on both backends: against a contract whose
// organization and domain no officer has vetted yet, the first run proves
// domain control and then waits on the held authorization (whose "hold"
// object the client logs) until it gives up; officers approve the cases
// with the CLI; the same command run again obtains the certificate; a
// forced renewal needs no officer.
func TestVettingHoldClients(t *testing.T) {
	for _, tool := range []string{"certbot", "lego"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (scripts/test installs it with apt-get): %v", tool, err)
		}
	}
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			k := startKakuin(t, backend)
			t.Run("certbot", func(t *testing.T) {
				c := &certbot{k: k, dir: t.TempDir(), eab: k.newEABVetted(false)}
				names := []string{"held-certbot.example.jp"}
				args := []string{"certonly", "--agree-tos", "--register-unsafely-without-email",
					"--server", k.directoryURL, "--eab-kid", c.eab.KID, "--eab-hmac-key=" + c.eab.HMAC,
					"--cert-name", "held", "-d", names[0], "--key-type", "ecdsa"}
				args = append(args, c.standalone()...)

				start := time.Now()
				if out, err := c.run(t, args...); err == nil {
					t.Fatalf("first certbot run succeeded before any officer approved:\n%s", out)
				}
				t.Logf("certbot gave up on the hold after %v", time.Since(start).Round(time.Second))
				if log := c.log(t); !strings.Contains(log, `"hold"`) || !strings.Contains(log, "not yet vetted") {
					t.Fatalf("certbot log does not show the held authorization's hold object:\n%s", tail(log, 3000))
				}
				k.approveOpenCases(t, 2)
				c.mustRun(t, args...)
				first := k.checkLeaf(t, c.live("held", "fullchain.pem"), names, "ec256")

				c.mustRun(t, append([]string{"renew", "--cert-name", "held", "--force-renewal", "--no-random-sleep-on-renew"}, c.standalone()...)...)
				if renewed := k.checkLeaf(t, c.live("held", "fullchain.pem"), names, "ec256"); renewed.SerialNumber.Cmp(first.SerialNumber) == 0 {
					t.Error("renewal returned the same certificate")
				}
				k.wantOpenCases(t, 0)
			})
			t.Run("lego", func(t *testing.T) {
				l := &lego{k: k, dir: t.TempDir(), eab: k.newEABVetted(false)}
				names := []string{"held-lego.example.jp"}
				httpFlags := []string{"--http", "--http.port", "127.0.0.1:" + itoa(k.http01Port), "--key-type", "ec256"}
				start := time.Now()
				out, err := l.run(t, names, append(httpFlags, "run")...)
				if err == nil {
					t.Fatalf("first lego run succeeded before any officer approved:\n%s", out)
				}
				t.Logf("lego gave up on the hold after %v", time.Since(start).Round(time.Second))
				k.approveOpenCases(t, 2)
				l.mustRun(t, names, append(httpFlags, "run")...)
				first := k.checkLeaf(t, l.bundle(names[0]), names, "ec256")
				l.mustRun(t, names, append(httpFlags, "renew", "--days", "9999", "--no-random-sleep")...)
				if renewed := k.checkLeaf(t, l.bundle(names[0]), names, "ec256"); renewed.SerialNumber.Cmp(first.SerialNumber) == 0 {
					t.Error("renewal returned the same certificate")
				}
				k.wantOpenCases(t, 0)
			})
		})
	}
}

// approveOpenCases checks that want cases are open (the organization's
// identity and its domain) and works each to approval with the CLI.
func (k *kakuin) approveOpenCases(t *testing.T, want int) {
	t.Helper()
	cases := k.wantOpenCases(t, want)
	k.addOfficers()
	for _, c := range cases {
		k.approveCase(c.(map[string]any))
	}
}

// wantOpenCases checks how many vetting cases are open and returns them.
func (k *kakuin) wantOpenCases(t *testing.T, want int) []any {
	t.Helper()
	cases, _ := k.cli("vet", "list", "--status", "open")["cases"].([]any)
	if len(cases) != want {
		t.Fatalf("open vetting cases: got %d, want %d: %s", len(cases), want, fmt.Sprint(cases))
	}
	return cases
}
