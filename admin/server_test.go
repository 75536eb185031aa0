package admin_test

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kakuin/kakuin/admin"
	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/internal/linttest"
	"github.com/kakuin/kakuin/store"
	"github.com/kakuin/kakuin/vetting"
)

// apiEnv is the admin API on a real store, over TLS that requires client
// certificates from a real officer CA.
type apiEnv struct {
	t     *testing.T
	ts    *httptest.Server
	caDir string
	vet   *vetting.Service
	org   *vetting.Organization
}

func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	db, err := store.Open(t.Context(), store.Options{Driver: store.DriverSQLite, DSN: filepath.Join(t.TempDir(), "k.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	e := &apiEnv{t: t, caDir: t.TempDir(), vet: vetting.New(vetting.Options{Store: db, Cases: db})}
	e.org, err = e.vet.CreateOrganization(t.Context(), vetting.OrganizationInput{Name: "Example KK", Country: "JP",
		Province: "Tokyo", Locality: "Chiyoda-ku", RegistrationNumber: "7000012050002"}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	for name, role := range map[string]string{"sato": vetting.RoleSpecialist, "tanaka": vetting.RoleApprover, "suzuki": vetting.RoleApprover} {
		if _, err := e.vet.AddOfficer(t.Context(), name, role, "cli"); err != nil {
			t.Fatal(err)
		}
	}
	pool, err := ca.OfficerCAPool(e.caDir, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	e.ts = httptest.NewUnstartedServer(admin.New(admin.Options{Vetting: e.vet}))
	e.ts.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool, MinVersion: tls.VersionTLS12}
	e.ts.StartTLS()
	t.Cleanup(e.ts.Close)
	return e
}

// client returns an HTTP client presenting a certificate the officer CA
// issued to name ("" for none).
func (e *apiEnv) client(name string) *http.Client {
	e.t.Helper()
	c := e.ts.Client()
	tr := c.Transport.(*http.Transport).Clone()
	if name != "" {
		oc := officerCert(e.t, e.caDir, name)
		pair, err := tls.X509KeyPair(oc.CertPEM, oc.KeyPEM)
		if err != nil {
			e.t.Fatal(err)
		}
		tr.TLSClientConfig.Certificates = []tls.Certificate{pair}
	}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// officerCert issues name a client certificate from the officer CA of dir
// and lints it and the officer CA (internal/linttest). Neither is a TLS
// server certificate: zlint applies to them only the lints whose scope
// covers them, the RFC 5280 ones and the CA/Browser Forum lints that are
// not limited to serverAuth certificates, and the client certificate may
// leave its subject key identifier out as kakuin's other end-entity
// certificates do (linttest.EndEntity).
func officerCert(t *testing.T, dir, name string) *ca.OfficerCert {
	t.Helper()
	oc, err := ca.IssueOfficerCert(dir, name, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	linttest.PEM(t, oc.CertPEM, linttest.EndEntity)
	return oc
}

// call sends a request and decodes the JSON answer.
func (e *apiEnv) call(c *http.Client, method, path string, body any) (int, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	if s, ok := body.(string); ok {
		rd = strings.NewReader(s)
	} else if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.ts.URL+path, rd)
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
		e.t.Fatalf("%s %s: answer is not JSON: %v", method, path, err)
	}
	return res.StatusCode, v
}

func TestAdminAPIRequiresOfficerCertificate(t *testing.T) {
	e := newAPIEnv(t)
	if _, err := e.client("").Get(e.ts.URL + "/admin/whoami"); err == nil {
		t.Error("a request without a client certificate was served")
	}
	// A certificate from another CA does not pass the handshake either.
	other := t.TempDir()
	oc := officerCert(t, other, "tanaka")
	pair, _ := tls.X509KeyPair(oc.CertPEM, oc.KeyPEM)
	tr := e.ts.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.Certificates = []tls.Certificate{pair}
	if _, err := (&http.Client{Transport: tr}).Get(e.ts.URL + "/admin/whoami"); err == nil {
		t.Error("a certificate from another CA was accepted")
	}
	if code, v := e.call(e.client("nobody"), "GET", "/admin/whoami", nil); code != 403 || !strings.Contains(v["error"].(string), "no officer named") {
		t.Errorf("certificate of an unknown officer: got %d %v, want 403", code, v)
	}
	if code, v := e.call(e.client("tanaka"), "GET", "/admin/whoami", nil); code != 200 || v["name"] != "tanaka" || v["role"] != "approver" {
		t.Errorf("whoami: got %d %v", code, v)
	}
}

// TestAdminAPICaseWork works an EV case through the API: the specialist
// opens it and records evidence, the recorder's approval is refused (403),
// two approvers decide it; bad requests get 400, unknown cases 404.
func TestAdminAPICaseWork(t *testing.T) {
	e := newAPIEnv(t)
	sato, tanaka, suzuki := e.client("sato"), e.client("tanaka"), e.client("suzuki")
	code, c := e.call(sato, "POST", "/admin/cases", map[string]any{"kind": "identity", "organization": e.org.ID, "level": "ev", "reason": "new EV customer"})
	if code != 201 {
		t.Fatalf("open case: got %d %v", code, c)
	}
	id := int64(c["id"].(float64))
	path := "/admin/cases/" + itoa(id)
	if code, again := e.call(sato, "POST", "/admin/cases", map[string]any{"kind": "identity", "organization": e.org.ID, "level": "ev", "reason": "again"}); code != 200 || again["id"] != c["id"] {
		t.Errorf("opening the same question again: got %d %v, want 200 and the same case", code, again)
	}
	for _, item := range []string{"legal-existence", "registration-number", "phone-verification", "applicant-call", "hr-confirmation"} {
		if code, v := e.call(tanaka, "POST", path+"/evidence", map[string]any{"item": item, "note": "checked " + item}); code != 200 {
			t.Fatalf("evidence %s: got %d %v", item, code, v)
		}
	}
	if code, v := e.call(suzuki, "POST", path+"/approve", map[string]any{}); code != 400 || !strings.Contains(v["error"].(string), "subscriber-agreement") {
		t.Errorf("approval with evidence missing: got %d %v, want 400 naming the missing item", code, v)
	}
	e.call(sato, "POST", path+"/evidence", map[string]any{"item": "subscriber-agreement", "note": "signed form received"})
	if code, v := e.call(tanaka, "POST", path+"/approve", map[string]any{}); code != 403 || !strings.Contains(v["error"].(string), "separation of duties") {
		t.Errorf("approval by the recorder: got %d %v, want 403", code, v)
	}
	if code, v := e.call(sato, "POST", path+"/approve", map[string]any{}); code != 403 || !strings.Contains(v["error"].(string), "is a specialist") {
		t.Errorf("approval by a specialist: got %d %v, want 403", code, v)
	}
	if code, v := e.call(suzuki, "POST", path+"/approve", map[string]any{"note": "first approval"}); code != 200 || v["status"] != "open" {
		t.Errorf("first EV approval: got %d %v, want 200 and still open", code, v)
	}
	// Two approvals by different officers, neither the recorder: sato is a
	// specialist and tanaka recorded evidence, so add one more approver.
	if _, err := e.vet.AddOfficer(t.Context(), "ito", vetting.RoleApprover, "cli"); err != nil {
		t.Fatal(err)
	}
	if code, v := e.call(e.client("ito"), "POST", path+"/approve", map[string]any{}); code != 200 || v["status"] != "approved" {
		t.Errorf("second EV approval: got %d %v, want approved", code, v)
	}
	if code, v := e.call(suzuki, "POST", path+"/reject", map[string]any{"reason": "too late"}); code != 409 {
		t.Errorf("rejecting a decided case: got %d %v, want 409", code, v)
	}

	for _, tt := range []struct {
		name, method, path string
		body               any
		want               int
		text               string
	}{
		{"unknown case", "GET", "/admin/cases/999", nil, 404, "case 999 not found"},
		{"case id not a number", "GET", "/admin/cases/abc", nil, 400, "not a positive number"},
		{"body not JSON", "POST", path + "/reject", "{", 400, "not the expected JSON object"},
		{"unknown field", "POST", path + "/reject", `{"reason": "x", "officer": "tanaka"}`, 400, "unknown field"},
		{"status filter unknown", "GET", "/admin/cases?status=pending", nil, 400, "status must be"},
		{"unknown resource", "GET", "/admin/nothing", nil, 404, "no such admin resource"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, v := e.call(tanaka, tt.method, tt.path, tt.body)
			if code != tt.want || !strings.Contains(v["error"].(string), tt.text) || int(v["status"].(float64)) != tt.want {
				t.Errorf("got %d %v, want %d containing %q", code, v, tt.want, tt.text)
			}
		})
	}
	if code, v := e.call(tanaka, "GET", "/admin/cases?status=approved", nil); code != 200 || len(v["cases"].([]any)) != 1 {
		t.Errorf("approved cases: got %d %v", code, v)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
