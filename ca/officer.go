package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// The admin API authenticates vetting officers by TLS client certificates
// from an internal CA kept in the CA directory. It is not part of the
// public hierarchy: it signs only officers' client certificates, and only
// the admin listener trusts it.
const (
	// OfficerCACert and officerCAKey are the officer CA's files in the CA
	// directory.
	OfficerCACert = "officer-ca.pem"
	officerCAKey  = "officer-ca.key"
	// officerCAValidity is the officer CA's lifetime; it is replaced (and
	// every officer certificate with it) when less than a year is left.
	officerCAValidity = 10 * 365 * 24 * time.Hour
	// OfficerCertValidity is an officer client certificate's lifetime.
	OfficerCertValidity = 365 * 24 * time.Hour
)

// officerCAMu serializes creating the officer CA within a process.
var officerCAMu sync.Mutex

// OfficerCA returns the officer CA of the CA directory dir, creating it on
// first use.
func OfficerCA(dir string, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	officerCAMu.Lock()
	defer officerCAMu.Unlock()
	certPath, keyPath := filepath.Join(dir, OfficerCACert), filepath.Join(dir, officerCAKey)
	cert, key, err := loadPair(certPath, keyPath, now, 365*24*time.Hour)
	if err == nil {
		return cert, key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("ca: officer CA in %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("ca: officer CA: %w", err)
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	subject, err := rawName(utf8Attr(oidOrganization, "kakuin"), utf8Attr(oidCommonName, "kakuin Officer CA"))
	if err != nil {
		return nil, nil, err
	}
	now = now.UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		RawSubject:            subject,
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(officerCAValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          subjectKeyID(k.Public()),
	}
	der, err := signCert(tmpl, tmpl, k.Public(), k)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := marshalKeyPEM(k)
	if err != nil {
		return nil, nil, err
	}
	if err := replaceFile(keyPath, keyPEM, keyMode); err != nil {
		return nil, nil, err
	}
	if err := replaceFile(certPath, certPEM(der), certMode); err != nil {
		return nil, nil, err
	}
	cert, err = x509.ParseCertificate(der)
	return cert, k, err
}

// loadPair loads a certificate and its key, failing if they do not match
// or the certificate has less than renewBefore left at now.
func loadPair(certPath, keyPath string, now time.Time, renewBefore time.Duration) (*x509.Certificate, crypto.Signer, error) {
	data, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, err
	}
	cert, err := parseCertPEM(data)
	if err != nil {
		return nil, nil, err
	}
	keyData, err := readKeyFile(keyPath)
	if err != nil {
		return nil, nil, err
	}
	key, err := parseKeyPEM(keyData)
	if err != nil {
		return nil, nil, err
	}
	if !publicKeysEqual(key, cert.PublicKey) {
		return nil, nil, errors.New("key does not match certificate")
	}
	if now.Before(cert.NotBefore) || now.Add(renewBefore).After(cert.NotAfter) {
		return nil, nil, errors.New("certificate expires soon")
	}
	return cert, key, nil
}

// OfficerCert is an officer's client certificate and its key, PEM.
type OfficerCert struct {
	CertPEM []byte // the certificate, then the officer CA
	KeyPEM  []byte
	Serial  string
	Expires time.Time
}

// IssueOfficerCert issues the officer name a client certificate (CN name,
// EKU clientAuth only, OfficerCertValidity) with a new P-256 key, from the
// officer CA of dir. The key is returned, never kept.
func IssueOfficerCert(dir, name string, now time.Time) (*OfficerCert, error) {
	caCert, caKey, err := OfficerCA(dir, now)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	subject, err := rawName(utf8Attr(oidOrganization, "kakuin officers"), utf8Attr(oidCommonName, name))
	if err != nil {
		return nil, err
	}
	now = now.UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		RawSubject:            subject,
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(OfficerCertValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, key.Public(), caKey)
	if err != nil {
		return nil, fmt.Errorf("ca: signing the certificate of officer %s: %w", name, err)
	}
	keyPEM, err := marshalKeyPEM(key)
	if err != nil {
		return nil, err
	}
	return &OfficerCert{CertPEM: append(certPEM(der), certPEM(caCert.Raw)...), KeyPEM: keyPEM,
		Serial: SerialHex(serial), Expires: tmpl.NotAfter}, nil
}

// OfficerCAPool returns a pool holding the officer CA of dir (created on
// first use), for the admin listener's client authentication.
func OfficerCAPool(dir string, now time.Time) (*x509.CertPool, error) {
	cert, _, err := OfficerCA(dir, now)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return pool, nil
}
