package e2e

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kakuin/kakuin/internal/linttest"
)

// opensslOCSP asks kakuin's responder about the certificate in certPEM by
// POST, as `openssl ocsp` users do, verifying the response against the
// root; it returns openssl's output.
func opensslOCSP(t *testing.T, k *kakuin, certPEM, chainPEM string) string {
	t.Helper()
	return opensslOCSPAt(t, "http://"+k.httpListen+"/ocsp", k.rootPEM, "-issuer", chainPEM, "-cert", certPEM, "-verify_other", chainPEM)
}

// opensslOCSPAt runs `openssl ocsp` against the responder URL with the
// arguments naming the issuer and the certificate or serial, and returns
// its output; openssl exits 1 for a responder error, which callers check
// in the output.
func opensslOCSPAt(t *testing.T, url, rootPEM string, args ...string) string {
	t.Helper()
	out, err := runCmd(t, "openssl", append([]string{"ocsp", "-url", url, "-CAfile", rootPEM, "-no_nonce"}, args...)...)
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		t.Fatalf("openssl ocsp: %v\n%s", err, out)
	}
	return out
}

// opensslOCSPGet does the same by GET: openssl writes the DER request
// (-reqout), curl fetches /ocsp/<url-encoded base64>, and openssl checks
// the response (-respin).
func opensslOCSPGet(t *testing.T, k *kakuin, certPEM, chainPEM string) string {
	t.Helper()
	dir := t.TempDir()
	req, resp := filepath.Join(dir, "req.der"), filepath.Join(dir, "resp.der")
	if out, err := runCmd(t, "openssl", "ocsp", "-issuer", chainPEM, "-cert", certPEM, "-reqout", req, "-no_nonce"); err != nil {
		t.Fatalf("openssl ocsp -reqout: %v\n%s", err, out)
	}
	der, err := os.ReadFile(req)
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + k.httpListen + "/ocsp/" + url.PathEscape(base64.StdEncoding.EncodeToString(der))
	if out, err := runCmd(t, "curl", "-sSf", "-o", resp, u); err != nil {
		t.Fatalf("curl %s: %v\n%s", u, err, out)
	}
	out, err := runCmd(t, "openssl", "ocsp", "-respin", resp, "-issuer", chainPEM, "-cert", certPEM,
		"-CAfile", k.rootPEM, "-verify_other", chainPEM, "-no_nonce")
	if err != nil {
		t.Fatalf("openssl ocsp -respin: %v\n%s", err, out)
	}
	return out
}

func runCmd(t *testing.T, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

// wantOCSP checks openssl ocsp output: the response verified and the
// certificate has the status.
func wantOCSP(t *testing.T, out, certPEM, status string) {
	t.Helper()
	if !strings.Contains(out, "Response verify OK") || !strings.Contains(out, certPEM+": "+status) {
		t.Errorf("openssl ocsp: want %q and a verified response, got\n%s", certPEM+": "+status, out)
	}
}

// fetchCRL downloads a CRL URL (a certificate's CRL DP) into a file and
// lints the CRL (internal/linttest).
func fetchCRL(t *testing.T, u string) (string, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pkix-crl" {
		t.Fatalf("GET %s: %s %q", u, resp.Status, resp.Header.Get("Content-Type"))
	}
	linttest.RevocationList(t, body)
	path := filepath.Join(t.TempDir(), "crl.der")
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, body
}

// TestRevocationStatus is the acceptance test of the status service with
// the tools relying parties use: a certificate obtained with certbot is
// "good" for `openssl ocsp` by POST and by GET, and right after `certbot
// revoke` it is revoked with its reason and time; its CRL partition,
// fetched at the certificate's CRL DP, lists it with the reason, verifies
// against the issuer, and names its own URL in the issuingDistributionPoint.
// An operator's `kakuin revoke` refuses a reason the BR forbids and
// revokes with an allowed one.
func TestRevocationStatus(t *testing.T) {
	for _, tool := range []string{"certbot", "openssl", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (scripts/test installs it with apt-get): %v", tool, err)
		}
	}
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			k := startKakuin(t, backend)
			c := &certbot{k: k, dir: t.TempDir(), eab: k.newEAB()}
			standalone := c.standalone()
			names := []string{"ocsp.status.example.jp"}
			c.certonly(t, "status", names, append(standalone, "--key-type", "ecdsa", "--elliptic-curve", "secp256r1")...)
			leaf := k.checkLeaf(t, c.live("status", "fullchain.pem"), names, "ec256")
			certPEM, chainPEM := c.live("status", "cert.pem"), c.live("status", "chain.pem")

			if len(leaf.OCSPServer) != 1 || leaf.OCSPServer[0] != "http://"+k.httpListen+"/ocsp" {
				t.Errorf("AIA OCSP: got %v, want http://%s/ocsp", leaf.OCSPServer, k.httpListen)
			}
			wantOCSP(t, opensslOCSP(t, k, certPEM, chainPEM), certPEM, "good")
			wantOCSP(t, opensslOCSPGet(t, k, certPEM, chainPEM), certPEM, "good")

			c.mustRun(t, "revoke", "--server", k.directoryURL, "--cert-name", "status", "--reason", "keycompromise", "--no-delete-after-revoke")
			revokedAt := time.Now()
			// The responder drops its cached "good" within a poll (0.5 s).
			var out string
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
				if out = opensslOCSP(t, k, certPEM, chainPEM); strings.Contains(out, ": revoked") {
					break
				}
			}
			wantOCSP(t, out, certPEM, "revoked")
			if !strings.Contains(out, "Reason: keyCompromise") || !strings.Contains(out, "Revocation Time: ") {
				t.Errorf("openssl ocsp after revoke: want the reason keyCompromise and the time, got\n%s", out)
			}
			getOut := opensslOCSPGet(t, k, certPEM, chainPEM)
			wantOCSP(t, getOut, certPEM, "revoked")

			// The CRL partition is re-signed within seconds (the target is
			// a minute).
			if len(leaf.CRLDistributionPoints) != 1 {
				t.Fatalf("CRL DP: got %v, want one", leaf.CRLDistributionPoints)
			}
			dp := leaf.CRLDistributionPoints[0]
			var crlPath string
			var crl *x509.RevocationList
			for deadline := time.Now().Add(70 * time.Second); ; time.Sleep(500 * time.Millisecond) {
				var der []byte
				crlPath, der = fetchCRL(t, dp)
				var err error
				if crl, err = x509.ParseRevocationList(der); err != nil {
					t.Fatalf("CRL at %s: %v", dp, err)
				}
				if len(crl.RevokedCertificateEntries) > 0 || time.Now().After(deadline) {
					break
				}
			}
			t.Logf("CRL listed the revocation %v after certbot revoke", time.Since(revokedAt).Round(time.Millisecond))
			text, err := runCmd(t, "openssl", "crl", "-inform", "DER", "-in", crlPath, "-text", "-noout")
			if err != nil {
				t.Fatalf("openssl crl: %v\n%s", err, text)
			}
			serialHex := strings.ToUpper(hex.EncodeToString(leaf.SerialNumber.Bytes())) // as openssl prints it
			if !strings.Contains(text, "Serial Number: "+serialHex) || !strings.Contains(text, "Key Compromise") ||
				!strings.Contains(text, "Issuing Distribution Point: critical") || !strings.Contains(text, "URI:"+dp) {
				t.Errorf("openssl crl -text: want serial %s with Key Compromise and a critical IDP naming %s, got\n%s", serialHex, dp, text)
			}
			caFile := filepath.Join(t.TempDir(), "ca.pem")
			chain, _ := os.ReadFile(chainPEM)
			root, _ := os.ReadFile(k.rootPEM)
			if err := os.WriteFile(caFile, append(chain, root...), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := runCmd(t, "openssl", "crl", "-inform", "DER", "-in", crlPath, "-CAfile", caFile, "-noout"); err != nil || !strings.Contains(out, "verify OK") {
				t.Errorf("openssl crl -CAfile: want verify OK, got %v\n%s", err, out)
			}

			// The published list names the partition.
			resp, err := http.Get("http://" + k.httpListen + "/crl/partitions.json")
			if err != nil {
				t.Fatal(err)
			}
			var urls []string
			err = json.NewDecoder(resp.Body).Decode(&urls)
			resp.Body.Close()
			if err != nil || !containsString(urls, dp) {
				t.Errorf("partitions.json: got %v (%v), want it to list %s", urls, err, dp)
			}

			// The operator CLI: a reason the BR forbids is refused with
			// what to use; an allowed one revokes.
			c.certonly(t, "op", []string{"op.status.example.jp"}, append(standalone, "--key-type", "rsa", "--rsa-key-size", "2048")...)
			opLeaf := k.checkLeaf(t, c.live("op", "fullchain.pem"), []string{"op.status.example.jp"}, "rsa2048")
			serial := fmt.Sprintf("%x", opLeaf.SerialNumber)
			if out, err := k.cliRaw("revoke", "--serial", serial, "--reason", "certificateHold"); err == nil ||
				!bytes.Contains(out, []byte("not allowed for subscriber certificates")) {
				t.Errorf("kakuin revoke --reason certificateHold: got %v\n%s; want a refusal naming the allowed reasons", err, out)
			}
			wantOCSP(t, opensslOCSP(t, k, c.live("op", "cert.pem"), c.live("op", "chain.pem")), c.live("op", "cert.pem"), "good")
			got := k.cli("revoke", "--serial", serial, "--reason", "superseded")
			if got["reason"] != "superseded" {
				t.Errorf("kakuin revoke: got %v, want reason superseded", got)
			}
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
				if out = opensslOCSP(t, k, c.live("op", "cert.pem"), c.live("op", "chain.pem")); strings.Contains(out, ": revoked") {
					break
				}
			}
			wantOCSP(t, out, c.live("op", "cert.pem"), "revoked")
			if !strings.Contains(out, "Reason: superseded") {
				t.Errorf("openssl ocsp after kakuin revoke: want Reason: superseded, got\n%s", out)
			}
			if out, err := k.cliRaw("revoke", "--serial", serial, "--reason", "superseded"); err == nil || !bytes.Contains(out, []byte("already revoked")) {
				t.Errorf("kakuin revoke twice: got %v\n%s; want already revoked", err, out)
			}
		})
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
