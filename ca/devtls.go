package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Dev TLS file names inside DevTLSOptions.Dir.
const (
	devTLSCACert = "tls-ca.pem"
	devTLSCAKey  = "tls-ca.key"
	devTLSCert   = "tls.pem"
	devTLSKey    = "tls.key"
)

// Dev TLS lifetimes: files are replaced when less than devTLSRenewBefore of
// validity is left.
const (
	devTLSCAValidity   = 5 * 365 * 24 * time.Hour
	devTLSLeafValidity = 90 * 24 * time.Hour
	devTLSRenewBefore  = 7 * 24 * time.Hour
)

// DevTLSOptions configures DevTLS.
type DevTLSOptions struct {
	// Dir receives tls-ca.pem, tls-ca.key, tls.pem and tls.key; created
	// with mode 0700 if missing.
	Dir string
	// Hosts are the DNS names and IP addresses the server certificate
	// covers. Default "localhost", "127.0.0.1", "::1".
	Hosts []string
	// Clock returns the current time. Default time.Now.
	Clock func() time.Time
}

// DevTLSFiles are the paths DevTLS wrote or reused.
type DevTLSFiles struct {
	// TrustPEM is the TLS CA certificate: what clients trust
	// (REQUESTS_CA_BUNDLE for certbot, LEGO_CA_CERTIFICATES for lego).
	TrustPEM string
	// CertFile is the server certificate followed by the TLS CA.
	CertFile string
	// KeyFile is the server's private key (PKCS#8 PEM, mode 0600).
	KeyFile string
}

// DevTLS provides kakuin's own HTTPS listener with a certificate in
// development: a small TLS CA, separate from the ACME hierarchy, and a
// server certificate for opts.Hosts signed by it. Existing files are reused
// while they match each other and Hosts and stay valid for more than seven
// days; otherwise what is stale is replaced.
func DevTLS(opts DevTLSOptions) (*DevTLSFiles, error) {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if len(opts.Hosts) == 0 {
		opts.Hosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	if err := ensureDir(opts.Dir); err != nil {
		return nil, err
	}
	files := &DevTLSFiles{
		TrustPEM: filepath.Join(opts.Dir, devTLSCACert),
		CertFile: filepath.Join(opts.Dir, devTLSCert),
		KeyFile:  filepath.Join(opts.Dir, devTLSKey),
	}
	now := opts.Clock()
	caCert, caKey, err := loadDevPair(files.TrustPEM, filepath.Join(opts.Dir, devTLSCAKey), now)
	fresh := err != nil
	if fresh {
		if caCert, caKey, err = newDevTLSCA(opts.Dir, now); err != nil {
			return nil, err
		}
	}
	if !fresh && devLeafUsable(files, caCert, opts.Hosts, now) {
		return files, nil
	}
	if err := newDevTLSLeaf(files, caCert, caKey, opts.Hosts, now); err != nil {
		return nil, err
	}
	return files, nil
}

// loadDevPair reads a certificate and its key and checks they belong
// together and are valid for more than devTLSRenewBefore.
func loadDevPair(certPath, keyPath string, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	return loadPair(certPath, keyPath, now, devTLSRenewBefore)
}

// devLeafUsable reports whether the existing server certificate can stay.
func devLeafUsable(files *DevTLSFiles, caCert *x509.Certificate, hosts []string, now time.Time) bool {
	data, err := os.ReadFile(files.CertFile)
	if err != nil {
		return false
	}
	leaf, err := x509.ParseCertificate(firstPEMCert(data))
	if err != nil || leaf.CheckSignatureFrom(caCert) != nil {
		return false
	}
	keyData, err := readKeyFile(files.KeyFile)
	if err != nil {
		return false
	}
	key, err := parseKeyPEM(keyData)
	if err != nil || !publicKeysEqual(key, leaf.PublicKey) {
		return false
	}
	if now.Before(leaf.NotBefore) || now.Add(devTLSRenewBefore).After(leaf.NotAfter) {
		return false
	}
	for _, h := range hosts {
		if leaf.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

// newDevTLSCA creates and writes the TLS CA.
func newDevTLSCA(dir string, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	subject, err := rawName(utf8Attr(oidOrganization, "kakuin development"),
		utf8Attr(oidCommonName, "kakuin Dev TLS CA"))
	if err != nil {
		return nil, nil, err
	}
	now = now.UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		RawSubject:            subject,
		NotBefore:             now.Add(-time.Hour), // tolerate clock skew
		NotAfter:              now.Add(devTLSCAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true,
		SubjectKeyId:          subjectKeyID(key.Public()),
	}
	der, err := signCert(tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := marshalKeyPEM(key)
	if err != nil {
		return nil, nil, err
	}
	if err := replaceFile(filepath.Join(dir, devTLSCAKey), keyPEM, keyMode); err != nil {
		return nil, nil, err
	}
	if err := replaceFile(filepath.Join(dir, devTLSCACert), certPEM(der), certMode); err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// newDevTLSLeaf creates and writes the server certificate and key.
func newDevTLSLeaf(files *DevTLSFiles, caCert *x509.Certificate, caKey crypto.Signer, hosts []string, now time.Time) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		NotBefore:             now.UTC().Truncate(time.Second).Add(-time.Hour),
		NotAfter:              now.UTC().Truncate(time.Second).Add(devTLSLeafValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, // CA:FALSE, so no verifier mistakes it for a CA
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	cn := hosts[0]
	if len(cn) > maxCommonNameLen {
		cn = ""
	}
	if tmpl.RawSubject, err = rawName(utf8Attr(oidCommonName, cn)); err != nil {
		return err
	}
	der, err := signCert(tmpl, caCert, key.Public(), caKey)
	if err != nil {
		return fmt.Errorf("ca: signing dev TLS certificate: %w", err)
	}
	keyPEM, err := marshalKeyPEM(key)
	if err != nil {
		return err
	}
	if err := replaceFile(files.KeyFile, keyPEM, keyMode); err != nil {
		return err
	}
	return replaceFile(files.CertFile, append(certPEM(der), certPEM(caCert.Raw)...), certMode)
}
