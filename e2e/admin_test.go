package e2e

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/kakuin/kakuin/internal/linttest"
)

// TestAdminAPI: an operator adds officers with their client certificates
// (kakuin officer add --cert-dir); over `kakuin serve`'s admin listener the
// certificate is the officer, who works a case; no certificate, no
// answer.
func TestAdminAPI(t *testing.T) {
	k := startKakuin(t, "sqlite")
	dir := t.TempDir()
	k.cli("officer", "add", "sato", "--role", "specialist", "--cert-dir", dir)
	k.cli("officer", "add", "tanaka", "--role", "approver", "--cert-dir", dir)
	if fi, err := os.Stat(filepath.Join(dir, "tanaka.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("officer key file: %v, mode %v; want 0600", err, fi.Mode())
	}
	// The officers' client certificates and the officer CA after them
	// pass zlint's lints that apply to TLS client certificates of a
	// private CA (see admin's officerCert).
	for _, officer := range []string{"sato", "tanaka"} {
		data, err := os.ReadFile(filepath.Join(dir, officer+".pem"))
		if err != nil {
			t.Fatal(err)
		}
		linttest.PEM(t, data, linttest.EndEntity)
	}
	org := k.cli("org", "create", "--name", "Admin API KK", "--country", "JP", "--province", "Tokyo", "--locality", "Minato-ku")

	trust, err := os.ReadFile(k.trustPEM)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(trust)
	client := func(officer string) *http.Client {
		cfg := &tls.Config{RootCAs: roots}
		if officer != "" {
			pair, err := tls.LoadX509KeyPair(filepath.Join(dir, officer+".pem"), filepath.Join(dir, officer+".key"))
			if err != nil {
				t.Fatal(err)
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
	}
	base := "https://" + k.adminListen + "/admin"
	call := func(c *http.Client, method, path string, body any) (int, map[string]any) {
		t.Helper()
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(b))
		res, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer res.Body.Close()
		var v map[string]any
		json.NewDecoder(res.Body).Decode(&v)
		return res.StatusCode, v
	}

	if _, err := client("").Get(base + "/whoami"); err == nil {
		t.Error("the admin API answered a client without a certificate")
	}
	if code, v := call(client("tanaka"), "GET", "/whoami", nil); code != 200 || v["role"] != "approver" {
		t.Fatalf("whoami: got %d %v", code, v)
	}
	code, c := call(client("sato"), "POST", "/cases", map[string]any{"kind": "domain", "organization": org["id"],
		"subject": "example.jp", "reason": "customer asked"})
	if code != 201 {
		t.Fatalf("open case: got %d %v", code, c)
	}
	path := "/cases/" + strconv.Itoa(int(c["id"].(float64)))
	if code, v := call(client("sato"), "POST", path+"/evidence", map[string]any{"item": "domain-owner", "note": "registrar record"}); code != 200 {
		t.Fatalf("evidence: got %d %v", code, v)
	}
	if code, v := call(client("tanaka"), "POST", path+"/approve", map[string]any{}); code != 200 || v["status"] != "approved" {
		t.Fatalf("approve: got %d %v", code, v)
	}
	k.cli("officer", "disable", "tanaka")
	if code, v := call(client("tanaka"), "GET", "/whoami", nil); code != 403 {
		t.Errorf("a disabled officer's certificate: got %d %v, want 403", code, v)
	}
	if ok := k.cli("audit", "verify"); ok["ok"] != true {
		t.Errorf("audit verify: got %v", ok)
	}
}
