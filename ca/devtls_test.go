package ca

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kakuin/kakuin/internal/linttest"
)

// devTLS is DevTLS as every test here calls it: the certificates it
// leaves in CertFile (the server certificate, then the TLS CA) are linted
// as certificates outside the Web PKI (linttest.Private, EndEntity).
func devTLS(t *testing.T, opts DevTLSOptions) (*DevTLSFiles, error) {
	t.Helper()
	files, err := DevTLS(opts)
	if err != nil {
		return files, err
	}
	chain, err := os.ReadFile(files.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	linttest.PEM(t, chain, linttest.Private, linttest.EndEntity)
	return files, nil
}

// serveTLS runs a TLS server on 127.0.0.1 with the given files until the
// test ends and returns its port.
func serveTLS(t *testing.T, files *DevTLSFiles) string {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(files.CertFile, files.KeyFile)
	if err != nil {
		t.Fatalf("LoadX509KeyPair: %v", err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				if err := c.(*tls.Conn).Handshake(); err == nil {
					c.Write([]byte("ok\n"))
				}
			}()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

func TestDevTLSClientsTrustIt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	files, err := devTLS(t, DevTLSOptions{Dir: dir, Hosts: []string{"127.0.0.1", "localhost"}})
	if err != nil {
		t.Fatalf("DevTLS: %v", err)
	}
	for _, f := range []struct {
		path string
		mode os.FileMode
	}{
		{files.KeyFile, 0o600}, {filepath.Join(dir, "tls-ca.key"), 0o600},
		{files.CertFile, 0o644}, {files.TrustPEM, 0o644}, {dir, 0o700},
	} {
		fi, err := os.Stat(f.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != f.mode {
			t.Errorf("%s: got mode %04o, want %04o", f.path, fi.Mode().Perm(), f.mode)
		}
	}
	port := serveTLS(t, files)
	trust, err := os.ReadFile(files.TrustPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(trust) {
		t.Fatal("TrustPEM holds no certificate")
	}

	t.Run("Go client", func(t *testing.T) {
		for _, tt := range []struct {
			name       string
			serverName string
			roots      *x509.CertPool
			wantErr    bool
		}{
			{"IP", "127.0.0.1", pool, false},
			{"localhost", "localhost", pool, false},
			{"name not in certificate", "other.example", pool, true},
			{"TLS CA not trusted", "localhost", x509.NewCertPool(), true},
		} {
			t.Run(tt.name, func(t *testing.T) {
				conn, err := tls.Dial("tcp", "127.0.0.1:"+port, &tls.Config{RootCAs: tt.roots, ServerName: tt.serverName})
				if err == nil {
					conn.Close()
				}
				if (err != nil) != tt.wantErr {
					t.Errorf("got %v, want error=%v", err, tt.wantErr)
				}
			})
		}
	})

	leafPEM := filepath.Join(t.TempDir(), "leaf.pem")
	chain, _ := os.ReadFile(files.CertFile)
	leaf, err := x509.ParseCertificate(firstPEMCert(chain))
	if err != nil {
		t.Fatal(err)
	}
	if leaf.IsCA || !leaf.BasicConstraintsValid {
		t.Errorf("leaf basic constraints: got IsCA=%v valid=%v, want CA:FALSE", leaf.IsCA, leaf.BasicConstraintsValid)
	}
	os.WriteFile(leafPEM, certPEM(leaf.Raw), 0o644)

	t.Run("openssl verify", func(t *testing.T) {
		if _, err := exec.LookPath("openssl"); err != nil {
			t.Skip("openssl not installed")
		}
		for _, tt := range []struct {
			name    string
			args    []string
			wantErr bool
		}{
			{"strict server purpose", []string{"-x509_strict", "-purpose", "sslserver", "-CAfile", files.TrustPEM, leafPEM}, false},
			{"leaf as its own CA", []string{"-CAfile", leafPEM, leafPEM}, true},
		} {
			t.Run(tt.name, func(t *testing.T) {
				out, err := exec.Command("openssl", append([]string{"verify"}, tt.args...)...).CombinedOutput()
				if (err != nil) != tt.wantErr {
					t.Errorf("got %v (%s), want error=%v", err, out, tt.wantErr)
				}
			})
		}
	})

	t.Run("python ssl", func(t *testing.T) {
		py, err := exec.LookPath("python3")
		if err != nil {
			t.Skip("python3 not installed")
		}
		script := `import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
ctx.verify_flags |= getattr(ssl, "VERIFY_X509_STRICT", 0)  # Python 3.13's default
with socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=10) as s:
    with ctx.wrap_socket(s, server_hostname=sys.argv[3]) as t:
        print(t.version())
`
		for _, host := range []string{"localhost", "127.0.0.1"} {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			out, err := exec.CommandContext(ctx, py, "-c", script, files.TrustPEM, port, host).CombinedOutput()
			cancel()
			if err != nil {
				t.Errorf("python %s: got %v (%s), want a verified connection", host, err, out)
			}
		}
	})
}

func TestDevTLSReuse(t *testing.T) {
	now := time.Now()
	clock := func(d time.Duration) func() time.Time { return func() time.Time { return now.Add(d) } }
	dir := filepath.Join(t.TempDir(), "tls")
	hosts := []string{"localhost", "127.0.0.1"}
	first, err := devTLS(t, DevTLSOptions{Dir: dir, Hosts: hosts, Clock: clock(0)})
	if err != nil {
		t.Fatal(err)
	}
	read := func() (ca, leaf []byte) {
		ca, _ = os.ReadFile(first.TrustPEM)
		leaf, _ = os.ReadFile(first.CertFile)
		return ca, leaf
	}
	ca0, leaf0 := read()

	tests := []struct {
		name         string
		opts         DevTLSOptions
		wantNewCA    bool
		wantNewLeaf  bool
		corruptLeaf  bool
		wantHostname string
	}{
		{name: "same day", opts: DevTLSOptions{Hosts: hosts, Clock: clock(time.Hour)}},
		{name: "30 days later", opts: DevTLSOptions{Hosts: hosts, Clock: clock(30 * 24 * time.Hour)}},
		{name: "subset of hosts", opts: DevTLSOptions{Hosts: []string{"localhost"}, Clock: clock(0)}},
		{name: "leaf 6 days from expiry", opts: DevTLSOptions{Hosts: hosts, Clock: clock(84 * 24 * time.Hour)}, wantNewLeaf: true},
		{name: "new host", opts: DevTLSOptions{Hosts: []string{"kakuin.test"}, Clock: clock(0)}, wantNewLeaf: true, wantHostname: "kakuin.test"},
		{name: "corrupt leaf", opts: DevTLSOptions{Hosts: hosts, Clock: clock(0)}, corruptLeaf: true, wantNewLeaf: true},
		{name: "CA near expiry", opts: DevTLSOptions{Hosts: hosts, Clock: clock(5*365*24*time.Hour - 24*time.Hour)}, wantNewCA: true, wantNewLeaf: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Start every case from the first generation.
			os.WriteFile(first.TrustPEM, ca0, 0o644)
			os.WriteFile(first.CertFile, leaf0, 0o644)
			if tt.corruptLeaf {
				os.WriteFile(first.CertFile, []byte("garbage"), 0o644)
			}
			caKey, _ := os.ReadFile(filepath.Join(dir, "tls-ca.key"))
			defer os.WriteFile(filepath.Join(dir, "tls-ca.key"), caKey, 0o600)
			leafKey, _ := os.ReadFile(first.KeyFile)
			defer os.WriteFile(first.KeyFile, leafKey, 0o600)

			tt.opts.Dir = dir
			got, err := devTLS(t, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if *got != *first {
				t.Errorf("paths: got %+v, want %+v", got, first)
			}
			ca, leaf := read()
			if newCA := !bytes.Equal(ca, ca0); newCA != tt.wantNewCA {
				t.Errorf("CA replaced: got %v, want %v", newCA, tt.wantNewCA)
			}
			if newLeaf := !bytes.Equal(leaf, leaf0); newLeaf != tt.wantNewLeaf {
				t.Errorf("leaf replaced: got %v, want %v", newLeaf, tt.wantNewLeaf)
			}
			cert, err := x509.ParseCertificate(firstPEMCert(leaf))
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantHostname != "" {
				if err := cert.VerifyHostname(tt.wantHostname); err != nil {
					t.Errorf("VerifyHostname: %v", err)
				}
			}
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(ca)
			if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: tt.opts.Clock()}); err != nil {
				t.Errorf("leaf does not verify against tls-ca.pem: %v", err)
			}
			if _, err := tls.LoadX509KeyPair(first.CertFile, first.KeyFile); err != nil {
				t.Errorf("key pair: %v", err)
			}
		})
	}
}

func TestDevTLSRejectsOpenKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	files, err := devTLS(t, DevTLSOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(files.CertFile)
	os.Chmod(files.KeyFile, 0o644)
	if _, err := devTLS(t, DevTLSOptions{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(files.CertFile)
	fi, _ := os.Stat(files.KeyFile)
	if bytes.Equal(before, after) || fi.Mode().Perm() != 0o600 {
		t.Errorf("open key: got replaced=%v mode %s, want a new 0600 key", !bytes.Equal(before, after), strconv.FormatUint(uint64(fi.Mode().Perm()), 8))
	}
	if strings.Contains(string(after), "PRIVATE") {
		t.Error("tls.pem contains a private key")
	}
}
