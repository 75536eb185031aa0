package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kakuin/kakuin/store"
	"github.com/kakuin/kakuin/vetting"
)

// acmeProblem is an RFC 8555 §6.7 problem document as a client logged it.
type acmeProblem struct {
	Type   string `json:"type"`
	Detail string `json:"detail"`
	Status int    `json:"status"`
}

// problemsIn returns every ACME problem document found in a client's log
// (certbot logs each response body it receives).
func problemsIn(log string) []acmeProblem {
	var out []acmeProblem
	for i := strings.IndexByte(log, '{'); i >= 0; {
		var p acmeProblem
		if err := json.NewDecoder(strings.NewReader(log[i:])).Decode(&p); err == nil &&
			strings.HasPrefix(p.Type, "urn:ietf:params:acme:error:") {
			out = append(out, p)
		}
		next := strings.IndexByte(log[i+1:], '{')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return out
}

// findProblem returns the first problem of type typ whose detail contains
// every one of words.
func findProblem(problems []acmeProblem, typ string, words ...string) (acmeProblem, bool) {
	for _, p := range problems {
		if p.Type != "urn:ietf:params:acme:error:"+typ {
			continue
		}
		ok := true
		for _, w := range words {
			ok = ok && strings.Contains(p.Detail, w)
		}
		if ok {
			return p, true
		}
	}
	return acmeProblem{}, false
}

// register runs `certbot register` with the certbot's EAB credential. The
// HMAC key is passed as --eab-hmac-key=KEY: a base64url key may start with
// "-", which certbot would take for an option (see TestEABKeyLeadingDash).
func (c *certbot) register(t *testing.T) (string, error) {
	t.Helper()
	return c.run(t, "register", "--server", c.k.directoryURL, "--agree-tos", "--register-unsafely-without-email",
		"--eab-kid", c.eab.KID, "--eab-hmac-key="+c.eab.HMAC)
}

// withT returns a copy of k whose helpers report to t, for use in a
// subtest.
func (k *kakuin) withT(t *testing.T) *kakuin {
	c := *k
	c.t = t
	return &c
}

// eabFor creates another EAB credential of a contract with the CLI.
func (k *kakuin) eabFor(contract string) eab {
	k.t.Helper()
	obj := k.cli("eab", "create", "--contract", contract)
	kid, _ := obj["kid"].(string)
	hmac, _ := obj["hmac"].(string)
	if kid == "" || hmac == "" {
		k.t.Fatalf("eab create: missing kid or hmac in %v", obj)
	}
	return eab{KID: kid, HMAC: hmac, Contract: contract}
}

// TestCLIAgainstRunningServer is the operator's second shell: with the same
// --data (and database flags) as a running `kakuin serve --dev`, it creates
// and revokes EAB credentials, and the running server honours them at once,
// as certbot sees it: a revoked credential registers no account, a
// credential binds at most one account (acme.eab_max_accounts 1), and an
// account bound before the revocation keeps working.
func TestCLIAgainstRunningServer(t *testing.T) {
	if _, err := exec.LookPath("certbot"); err != nil {
		t.Fatalf("certbot is not installed (scripts/test installs it with apt-get): %v", err)
	}
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			k := startKakuin(t, backend)
			first := k.newEAB()

			t.Run("revoked credential registers no account", func(t *testing.T) {
				k := k.withT(t)
				e := k.eabFor(first.Contract)
				rv := k.cli("eab", "revoke", e.KID)
				if rv["status"] != "revoked" {
					t.Fatalf("eab revoke: got %v, want status revoked", rv)
				}
				c := &certbot{k: k, dir: t.TempDir(), eab: e}
				if out, err := c.register(t); err == nil {
					t.Fatalf("certbot register with a revoked credential succeeded\n%s", out)
				}
				log := c.log(t)
				if _, ok := findProblem(problemsIn(log), "unauthorized", "revoked"); !ok {
					t.Errorf("certbot log: want an unauthorized problem whose detail says \"revoked\", got problems %v\n%s",
						problemsIn(log), tail(log, 3000))
				}
				out, err := k.cliRaw("eab", "revoke", e.KID)
				if err == nil || !strings.Contains(string(out), "already revoked") {
					t.Errorf("second eab revoke: got %v %q, want a failure saying \"already revoked\"", err, out)
				}
			})

			t.Run("credential binds one account", func(t *testing.T) {
				k := k.withT(t)
				e := k.eabFor(first.Contract)
				one := &certbot{k: k, dir: t.TempDir(), eab: e}
				if out, err := one.register(t); err != nil {
					t.Fatalf("certbot register: %v\n%s\n%s", err, out, tail(one.log(t), 3000))
				}
				two := &certbot{k: k, dir: t.TempDir(), eab: e}
				if out, err := two.register(t); err == nil {
					t.Fatalf("second certbot register with the same credential succeeded, want a refusal (eab_max_accounts 1)\n%s", out)
				}
				log := two.log(t)
				if p, ok := findProblem(problemsIn(log), "unauthorized"); !ok || p.Detail == "" {
					t.Errorf("certbot log: want an unauthorized problem with a detail, got problems %v\n%s", problemsIn(log), tail(log, 3000))
				}

				// The CLI says "accounts already bound with it keep
				// working": the first account still answers after the
				// credential is revoked.
				k.cli("eab", "revoke", e.KID)
				if out, err := one.run(t, "show_account", "--server", k.directoryURL); err != nil {
					t.Errorf("certbot show_account after the credential was revoked: %v\n%s\n%s", err, out, tail(one.log(t), 3000))
				}
			})
		})
	}
}

// TestEABKeyLeadingDash registers with certbot exactly as `kakuin eab
// create` and the serve banner tell an operator to ("--eab-hmac-key=HMAC",
// one argument), with a credential whose base64url HMAC key starts with
// "-", as one key in 64 does: as two arguments certbot would take the key
// for an option. The credential is stored directly through
// the store API to get such a key every time.
func TestEABKeyLeadingDash(t *testing.T) {
	if _, err := exec.LookPath("certbot"); err != nil {
		t.Fatalf("certbot is not installed (scripts/test installs it with apt-get): %v", err)
	}
	t.Parallel()
	k := startKakuin(t, "sqlite")
	first := k.newEAB()

	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	key[0] = 0xf8 | key[0]&0x03 // the first base64url character is '-' (62)
	e := eab{KID: "kak_leadingdash" + strconv.Itoa(int(key[1])), HMAC: base64.RawURLEncoding.EncodeToString(key), Contract: first.Contract}
	if !strings.HasPrefix(e.HMAC, "-") {
		t.Fatalf("HMAC %q does not start with '-'", e.HMAC)
	}
	db, err := store.Open(context.Background(), store.Options{Driver: store.DriverSQLite, DSN: filepath.Join(k.dataDir, "kakuin.db")})
	if err != nil {
		t.Fatal(err)
	}
	err = db.CreateEABCredential(context.Background(), &vetting.EABCredential{KeyID: e.KID, ContractCode: e.Contract,
		HMACKey: key, Status: vetting.CredentialActive, CreatedAt: time.Now()},
		&vetting.AuditEvent{Kind: "eab.create", Actor: "e2e", Detail: []byte(`{"contract_code":"` + e.Contract + `"}`)})
	db.Close()
	if err != nil {
		t.Fatalf("store EAB credential: %v", err)
	}

	// The form `kakuin eab create` prints: --eab-hmac-key=KEY, one argument.
	c := &certbot{k: k, dir: t.TempDir(), eab: e}
	out, err := c.run(t, "register", "--server", k.directoryURL, "--agree-tos", "--register-unsafely-without-email",
		"--eab-kid", e.KID, "--eab-hmac-key="+e.HMAC)
	if err != nil {
		t.Fatalf("certbot register with --eab-hmac-key=%s: %v\n%s\n%s", e.HMAC, err, out, tail(c.log(t), 3000))
	}
}
