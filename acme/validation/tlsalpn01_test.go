package validation

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/kakuin/kakuin/internal/testdns"
)

// alpnCert describes a tls-alpn-01 certificate to build; the zero value
// (with dnsNames set) is a correct RFC 8737 certificate.
type alpnCert struct {
	dnsNames    []string
	ips         []net.IP
	keyAuth     string // digest input; testKeyAuth if empty
	nonCritical bool
	noExt       bool
	rawDigest   bool // extension value is the bare digest, not an OCTET STRING
	otherSigner bool // signed by another key: not self-signed
}

func (c alpnCert) build(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generate key: %v", err)
	}
	keyAuth := c.keyAuth
	if keyAuth == "" {
		keyAuth = testKeyAuth
	}
	digest := sha256.Sum256([]byte(keyAuth))
	value, err := asn1.Marshal(digest[:])
	if err != nil {
		t.Fatalf("marshal digest: %v", err)
	}
	if c.rawDigest {
		value = digest[:]
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "acme-tls-alpn-01"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     c.dnsNames,
		IPAddresses:  c.ips,
	}
	if !c.noExt {
		tmpl.ExtraExtensions = []pkix.Extension{{Id: oidACMEIdentifier, Critical: !c.nonCritical, Value: value}}
	}
	signer, parent := key, tmpl
	if c.otherSigner {
		other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatalf("generate key: %v", err)
		}
		signer = other
		parent = &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "other CA"}}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatalf("create certificate: %v", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// serveTLS starts a TLS server on loopback with cert and ALPN protocols
// protos; it completes handshakes and closes connections. It returns the
// port.
func serveTLS(t *testing.T, cert tls.Certificate, protos []string) int {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: protos})
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.(*tls.Conn).Handshake() // the client judges the outcome
			conn.Close()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return port(t, ln.Addr().String())
}

func TestTLSALPN01(t *testing.T) {
	const name = "alpn.test"
	acme := []string{acmeTLS1}
	tests := []struct {
		name       string
		cert       alpnCert
		protos     []string
		wantType   string
		wantDetail string
	}{
		{"correct certificate", alpnCert{dnsNames: []string{name}}, acme, "", ""},
		{"server offers other protocols too", alpnCert{dnsNames: []string{name}}, []string{"h2", acmeTLS1}, "", ""},
		{"SAN in upper case", alpnCert{dnsNames: []string{"ALPN.test"}}, acme, "", ""},
		{"wrong digest", alpnCert{dnsNames: []string{name}, keyAuth: testToken + ".other"}, acme,
			ProblemIncorrectResponse, "does not match the key authorization"},
		{"non-critical extension", alpnCert{dnsNames: []string{name}, nonCritical: true}, acme,
			ProblemIncorrectResponse, "is not critical"},
		{"no acmeIdentifier extension", alpnCert{dnsNames: []string{name}, noExt: true}, acme,
			ProblemIncorrectResponse, "has no acmeIdentifier extension"},
		{"digest not an OCTET STRING", alpnCert{dnsNames: []string{name}, rawDigest: true}, acme,
			ProblemIncorrectResponse, "not an OCTET STRING"},
		{"extra DNS SAN", alpnCert{dnsNames: []string{name, "other.test"}}, acme,
			ProblemIncorrectResponse, `got 2 name(s) ["alpn.test" "other.test"]`},
		{"extra IP SAN", alpnCert{dnsNames: []string{name}, ips: []net.IP{net.ParseIP("192.0.2.1")}}, acme,
			ProblemIncorrectResponse, "exactly one subjectAltName"},
		{"wrong SAN", alpnCert{dnsNames: []string{"other.test"}}, acme,
			ProblemIncorrectResponse, "exactly one subjectAltName"},
		{"no SAN", alpnCert{}, acme,
			ProblemIncorrectResponse, "no subjectAltName extension"},
		{"not self-signed", alpnCert{dnsNames: []string{name}, otherSigner: true}, acme,
			ProblemIncorrectResponse, "not self-signed"},
		{"no ALPN", alpnCert{dnsNames: []string{name}}, nil,
			ProblemTLS, `did not negotiate ALPN protocol "acme-tls/1"`},
		{"only other protocols", alpnCert{dnsNames: []string{name}}, []string{"h2"},
			ProblemTLS, "TLS handshake with 127.0.0.1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dns := testdns.StartT(t)
			dns.SetA(name, "127.0.0.1")
			p := serveTLS(t, tt.cert.build(t), tt.protos)
			v := newValidator(t, dns, Options{TLSALPNPort: p, AllowPrivate: true})
			err := v.Validate(t.Context(), ChallengeTLSALPN01, name, testToken, testKeyAuth)
			checkProblem(t, err, tt.wantType, tt.wantDetail)
		})
	}
}

func TestTLSALPN01Network(t *testing.T) {
	dns := testdns.StartT(t)
	dns.SetDefaultA("127.0.0.1")

	t.Run("nothing listening", func(t *testing.T) {
		v := newValidator(t, dns, Options{TLSALPNPort: freePort(t), AllowPrivate: true})
		err := v.Validate(t.Context(), ChallengeTLSALPN01, "alpn.test", testToken, testKeyAuth)
		checkProblem(t, err, ProblemConnection, "connection refused by 127.0.0.1:")
	})
	t.Run("plain TCP server", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				conn.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
				conn.Close()
			}
		}()
		v := newValidator(t, dns, Options{TLSALPNPort: port(t, ln.Addr().String()), AllowPrivate: true})
		err = v.Validate(t.Context(), ChallengeTLSALPN01, "alpn.test", testToken, testKeyAuth)
		checkProblem(t, err, ProblemTLS, "TLS handshake with 127.0.0.1:")
	})
	t.Run("context canceled during handshake", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("listen: %v", err)
		}
		t.Cleanup(func() { ln.Close() })
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
			cancel() // the client is connected and waits for a ServerHello
			buf := make([]byte, 1024)
			for {
				if _, err := conn.Read(buf); err != nil {
					return
				}
			}
		}()
		v := newValidator(t, dns, Options{TLSALPNPort: port(t, ln.Addr().String()), AllowPrivate: true})
		err = v.Validate(ctx, ChallengeTLSALPN01, "alpn.test", testToken, testKeyAuth)
		checkProblem(t, err, ProblemConnection, "canceled")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("errors.Is(err, context.Canceled): got false, want true (err %v)", err)
		}
	})
}
