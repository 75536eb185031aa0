package ca

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// copyCA copies a hierarchy into a fresh directory so a test can damage it.
func copyCA(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "ca")
	if err := os.Mkdir(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range caFiles {
		data, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, name), data, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadRejectsBadFiles(t *testing.T) {
	good := sharedCA(t, KeyECDSAP256)
	other := sharedCA(t, KeyECDSAP384)
	tests := []struct {
		name   string
		damage func(t *testing.T, dir string)
		want   string
	}{
		{"ov.key readable by others", func(t *testing.T, dir string) {
			os.Chmod(filepath.Join(dir, "ov.key"), 0o644)
		}, "chmod 600"},
		{"ev.key group-readable", func(t *testing.T, dir string) {
			os.Chmod(filepath.Join(dir, "ev.key"), 0o640)
		}, "open to group or others"},
		{"root.key readable by others", func(t *testing.T, dir string) {
			os.Chmod(filepath.Join(dir, "root.key"), 0o644)
		}, "root.key has mode 0644"},
		{"ov.key is the ev key", func(t *testing.T, dir string) {
			copyFile(t, filepath.Join(dir, "ev.key"), filepath.Join(dir, "ov.key"))
		}, "does not match"},
		{"ov.key private scalar tampered", func(t *testing.T, dir string) {
			path := filepath.Join(dir, "ov.key")
			data, _ := os.ReadFile(path)
			block, _ := pem.Decode(data)
			key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			scalar, err := key.(*ecdsa.PrivateKey).Bytes()
			if err != nil {
				t.Fatal(err)
			}
			i := bytes.Index(block.Bytes, scalar)
			if i < 0 {
				t.Fatal("private scalar not found in DER")
			}
			block.Bytes[i+len(scalar)-1] ^= 0x01
			os.WriteFile(path, pem.EncodeToMemory(block), 0o600)
		}, "does not match"},
		{"ov.key not PEM", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "ov.key"), []byte("secret"), 0o600)
		}, "no PKCS#8"},
		{"ov swapped with ev", func(t *testing.T, dir string) {
			copyFile(t, filepath.Join(dir, "ev.key"), filepath.Join(dir, "ov.key"))
			copyFile(t, filepath.Join(dir, "ev.pem"), filepath.Join(dir, "ov.pem"))
		}, "exactly the policy 2.23.140.1.2.2"},
		{"ov from another hierarchy", func(t *testing.T, dir string) {
			copyFile(t, filepath.Join(other, "ov.key"), filepath.Join(dir, "ov.key"))
			copyFile(t, filepath.Join(other, "ov.pem"), filepath.Join(dir, "ov.pem"))
		}, "not signed by the root"},
		{"root replaced", func(t *testing.T, dir string) {
			copyFile(t, filepath.Join(other, "root.pem"), filepath.Join(dir, "root.pem"))
		}, "not signed by the root"},
		{"root is an issuing CA", func(t *testing.T, dir string) {
			copyFile(t, filepath.Join(dir, "ov.pem"), filepath.Join(dir, "root.pem"))
		}, "not a self-signed CA"},
		{"ev.pem missing", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "ev.pem"))
		}, "ev.pem"},
		{"two certificates in ov.pem", func(t *testing.T, dir string) {
			data, _ := os.ReadFile(filepath.Join(dir, "ov.pem"))
			os.WriteFile(filepath.Join(dir, "ov.pem"), append(data, data...), 0o644)
		}, "more than one PEM block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyCA(t, good)
			tt.damage(t, dir)
			_, err := Load(Options{Dir: dir, Store: newMemStore(t), BaseURL: testBaseURL, Clock: testClock, CRLShards: testCRLShards})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	t.Run("undamaged copy loads", func(t *testing.T) {
		if _, err := Load(Options{Dir: copyCA(t, good), Store: newMemStore(t), BaseURL: testBaseURL, Clock: testClock, CRLShards: testCRLShards}); err != nil {
			t.Fatalf("got %v, want nil", err)
		}
	})
}

func TestLoadRejectsBadOptions(t *testing.T) {
	dir := sharedCA(t, KeyECDSAP256)
	ok := Options{Dir: dir, Store: newMemStore(t), BaseURL: testBaseURL, Clock: testClock, CRLShards: testCRLShards}
	tests := []struct {
		name   string
		change func(o *Options)
		want   string
	}{
		{"no store", func(o *Options) { o.Store = nil }, "Store is required"},
		{"https base URL", func(o *Options) { o.BaseURL = "https://ca.example.com" }, "plain http://"},
		{"base URL with query", func(o *Options) { o.BaseURL = "http://ca.example.com/?x=1" }, "plain http://"},
		{"https OCSP URL", func(o *Options) { o.OCSPURL = "https://ocsp.example.com" }, "plain http://"},
		{"neither CRL nor OCSP", func(o *Options) { o.CRLShards = 0 }, "CRLShards or Options.OCSPURL is required"},
		{"negative validity", func(o *Options) { o.Validity = -time.Hour }, "positive whole number of seconds"},
		{"fractional validity", func(o *Options) { o.Validity = 90*24*time.Hour + time.Millisecond }, "positive whole number of seconds"},
		{"issuing CA not yet valid", func(o *Options) {
			o.Clock = func() time.Time { return testNow.Add(-time.Hour) }
		}, "is not valid now"},
		{"issuing CA expired", func(o *Options) {
			o.Clock = func() time.Time { return testNow.Add(6 * 365 * 24 * time.Hour) }
		}, "is not valid now"},
		{"missing dir", func(o *Options) { o.Dir = filepath.Join(t.TempDir(), "nope") }, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ok
			tt.change(&o)
			_, err := Load(o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
