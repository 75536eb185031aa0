package ca

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

func TestServeHTTP(t *testing.T) {
	dir := sharedCA(t, KeyECDSAP256)
	a, _ := loadCA(t, dir)
	srv := httptest.NewServer(a)
	defer srv.Close()

	der := func(id string) []byte { c, _ := a.IssuerCertificate(id); return c.Raw }
	pemFile := func(id string) []byte { b, _ := os.ReadFile(filepath.Join(dir, id+".pem")); return b }
	tests := []struct {
		method, path string
		header       map[string]string
		wantStatus   int
		wantType     string
		wantBody     []byte
	}{
		{"GET", "/ca/root.der", nil, 200, "application/pkix-cert", der(IssuerRoot)},
		{"GET", "/ca/ov.der", nil, 200, "application/pkix-cert", der(IssuerOV)},
		{"GET", "/ca/ev.der", nil, 200, "application/pkix-cert", der(IssuerEV)},
		{"GET", "/ca/root.pem", nil, 200, "application/x-pem-file", pemFile(IssuerRoot)},
		{"GET", "/ca/ov.pem", nil, 200, "application/x-pem-file", pemFile(IssuerOV)},
		{"HEAD", "/ca/ev.pem", nil, 200, "application/x-pem-file", nil},
		{"GET", "/ca/root.key", nil, 404, "", nil},
		{"GET", "/ca/ov.crt", nil, 404, "", nil},
		{"GET", "/ca/", nil, 404, "", nil},
		{"GET", "/ca/../ca/root.der", nil, 404, "", nil},
		{"GET", "/root.der", nil, 404, "", nil},
		{"POST", "/ca/root.der", nil, 405, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status: got %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus != 200 {
				return
			}
			if got := resp.Header.Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type: got %q, want %q", got, tt.wantType)
			}
			if got := resp.Header.Get("Cache-Control"); got != "public, max-age=86400" {
				t.Errorf("Cache-Control: got %q, want public, max-age=86400", got)
			}
			if resp.Header.Get("ETag") == "" {
				t.Error("no ETag")
			}
			if tt.method == "HEAD" {
				if len(body) != 0 || resp.ContentLength != int64(len(pemFile(IssuerEV))) {
					t.Errorf("HEAD: got %d body bytes, length %d; want 0, %d", len(body), resp.ContentLength, len(pemFile(IssuerEV)))
				}
				return
			}
			if !bytes.Equal(body, tt.wantBody) {
				t.Errorf("body: got %d bytes, want %d bytes of %s", len(body), len(tt.wantBody), tt.path)
			}
		})
	}

	t.Run("If-None-Match", func(t *testing.T) {
		resp, err := http.Get(srv.URL + "/ca/ov.der")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		etag := resp.Header.Get("ETag")
		for _, tt := range []struct {
			header string
			want   int
		}{{etag, 304}, {`"other", ` + etag, 304}, {`"other"`, 200}} {
			req, _ := http.NewRequest("GET", srv.URL+"/ca/ov.der", nil)
			req.Header.Set("If-None-Match", tt.header)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("If-None-Match %s: got %d, want %d", tt.header, resp.StatusCode, tt.want)
			}
		}
	})
}

func TestAccessors(t *testing.T) {
	dir := sharedCA(t, KeyECDSAP256)
	a, _ := loadCA(t, dir)
	rootPEM, _ := os.ReadFile(filepath.Join(dir, "root.pem"))
	if !bytes.Equal(a.RootPEM(), rootPEM) {
		t.Errorf("RootPEM: got %q, want root.pem", a.RootPEM())
	}
	if got, want := a.Issuers(), []string{IssuerOV, IssuerEV}; !slices.Equal(got, want) {
		t.Errorf("Issuers: got %v, want %v", got, want)
	}
	for _, tt := range []struct {
		id     string
		wantOK bool
		wantCN string
	}{
		{IssuerRoot, true, "kakuin Dev Root CA"},
		{IssuerOV, true, "kakuin Dev OV Issuing CA"},
		{IssuerEV, true, "kakuin Dev EV Issuing CA"},
		{"dv", false, ""},
		{"", false, ""},
	} {
		t.Run(strconv.Quote(tt.id), func(t *testing.T) {
			c, ok := a.IssuerCertificate(tt.id)
			if ok != tt.wantOK || (ok && c.Subject.CommonName != tt.wantCN) {
				t.Errorf("got %v, %v; want ok=%v CN %q", c, ok, tt.wantOK, tt.wantCN)
			}
		})
	}
}
