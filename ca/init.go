package ca

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Validity of the development hierarchy. BR §6.3.2 bounds roots to
// 2922..9132 days; issuing CAs get five years.
const (
	rootValidity   = 25 * 365 * 24 * time.Hour
	issuerValidity = (5*365 + 1) * 24 * time.Hour
)

// Defaults for InitOptions.
const (
	defaultOrganization = "kakuin Dev"
	defaultCountry      = "JP"
)

// InitOptions configures Init.
type InitOptions struct {
	// Dir receives root.pem/key, ov.pem/key and ev.pem/key. It is created
	// with mode 0700 (an existing directory is restricted to 0700).
	Dir string
	// KeyType of all three CA keys: "ecdsa-p384" (default), "ecdsa-p256",
	// "rsa-2048", "rsa-3072" or "rsa-4096".
	KeyType string
	// BaseURL is the plain http:// URL under which the CA certificates
	// (BaseURL/ca/root.der) and the root's CRL (BaseURL/crl/root.crl) are
	// published; it goes into the issuing CAs' AIA and CRL DP. Required.
	BaseURL string
	// Organization is the subject O of all three CAs and the start of their
	// CNs ("<O> Root CA", "<O> OV Issuing CA"). Default "kakuin Dev".
	Organization string
	// Country is the subject C (ISO 3166-1 alpha-2). Default "JP".
	Country string
	// Clock returns the current time. Default time.Now.
	Clock func() time.Time
}

// caFiles names the six files of a hierarchy.
var caFiles = []string{
	IssuerRoot + ".pem", IssuerRoot + ".key",
	IssuerOV + ".pem", IssuerOV + ".key",
	IssuerEV + ".pem", IssuerEV + ".key",
}

// Init creates a development CA hierarchy in opts.Dir: a self-signed root
// and one issuing CA per profile (ov, ev), each with a fresh key. Keys are
// written as PKCS#8 PEM with mode 0600, certificates as PEM; every file is
// written to a temporary name first and then hard-linked into place, which
// like a rename never leaves a half-written file but, unlike one, never
// replaces an existing file. Init returns ErrAlreadyInitialized, and
// changes nothing, if any of the files exists.
func Init(opts InitOptions) error {
	if opts.KeyType == "" {
		opts.KeyType = KeyECDSAP384
	}
	if opts.Organization == "" {
		opts.Organization = defaultOrganization
	}
	if opts.Country == "" {
		opts.Country = defaultCountry
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	baseURL, err := checkHTTPURL("InitOptions.BaseURL", opts.BaseURL)
	if err != nil {
		return err
	}
	if !isCountryCode(opts.Country) {
		return fmt.Errorf("ca: InitOptions.Country %q is not an ISO 3166-1 alpha-2 code", opts.Country)
	}
	if len(opts.Organization)+len(" OV Issuing CA") > maxCommonNameLen {
		return fmt.Errorf("ca: InitOptions.Organization %q is too long for a CA common name", opts.Organization)
	}
	if opts.Dir == "" {
		return errors.New("ca: InitOptions.Dir is required")
	}
	for _, name := range caFiles {
		if _, err := os.Lstat(filepath.Join(opts.Dir, name)); err == nil {
			return fmt.Errorf("%w: %s exists", ErrAlreadyInitialized, filepath.Join(opts.Dir, name))
		} else if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("ca: %w", err)
		}
	}
	if !slices.Contains(keyTypes, opts.KeyType) {
		return fmt.Errorf("ca: unknown key type %q; allowed: %s", opts.KeyType, strings.Join(keyTypes, ", "))
	}

	h, err := buildHierarchy(opts, baseURL)
	if err != nil {
		return err
	}
	if err := ensureDir(opts.Dir); err != nil {
		return err
	}
	// Keys first: a certificate on disk always has its key beside it. If
	// anything fails, what this call wrote is removed again so a retry
	// does not meet ErrAlreadyInitialized.
	var written []string
	for _, f := range h {
		for _, file := range []struct {
			path string
			data []byte
			mode fs.FileMode
		}{
			{filepath.Join(opts.Dir, f.id+".key"), f.keyPEM, keyMode},
			{filepath.Join(opts.Dir, f.id+".pem"), f.certPEM, certMode},
		} {
			if err := createFile(file.path, file.data, file.mode); err != nil {
				for _, p := range written {
					os.Remove(p)
				}
				return err
			}
			written = append(written, file.path)
		}
	}
	return nil
}

// caFile is one CA's certificate and key, ready to write.
type caFile struct {
	id      string
	certPEM []byte
	keyPEM  []byte
}

// buildHierarchy creates the keys and certificates of the hierarchy.
func buildHierarchy(opts InitOptions, baseURL string) ([]caFile, error) {
	now := opts.Clock().UTC().Truncate(time.Second)
	rootKey, err := generateKey(opts.KeyType)
	if err != nil {
		return nil, err
	}
	rootSubject, err := rawName(country(opts.Country), utf8Attr(oidOrganization, opts.Organization),
		utf8Attr(oidCommonName, opts.Organization+" Root CA"))
	if err != nil {
		return nil, err
	}
	rootTmpl := &x509.Certificate{
		RawSubject:            rootSubject,
		NotBefore:             now,
		NotAfter:              now.Add(rootValidity - time.Second),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            -1, // BR §7.1.2.1.4: no pathLenConstraint on roots
		SubjectKeyId:          subjectKeyID(rootKey.Public()),
	}
	rootDER, err := signCert(rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	if err != nil {
		return nil, err
	}
	root, err := x509.ParseCertificate(rootDER)
	if err != nil {
		return nil, fmt.Errorf("ca: parsing new root: %w", err)
	}
	files := []caFile{{id: IssuerRoot, certPEM: certPEM(rootDER)}}
	if files[0].keyPEM, err = marshalKeyPEM(rootKey); err != nil {
		return nil, err
	}

	for _, name := range issuerProfiles {
		p := profiles[name]
		key, err := generateKey(opts.KeyType)
		if err != nil {
			return nil, err
		}
		subject, err := rawName(country(opts.Country), utf8Attr(oidOrganization, opts.Organization),
			utf8Attr(oidCommonName, opts.Organization+" "+p.caName+" Issuing CA"))
		if err != nil {
			return nil, err
		}
		tmpl := &x509.Certificate{
			RawSubject: subject,
			NotBefore:  now,
			NotAfter:   now.Add(issuerValidity - time.Second),
			// digitalSignature lets the issuing CA sign OCSP responses
			// itself (BR §7.1.2.10.7).
			KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
			ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			BasicConstraintsValid: true,
			IsCA:                  true,
			MaxPathLen:            0,
			MaxPathLenZero:        true,
			SubjectKeyId:          subjectKeyID(key.Public()),
			IssuingCertificateURL: []string{baseURL + "/ca/" + IssuerRoot + ".der"},
			CRLDistributionPoints: []string{baseURL + "/crl/" + IssuerRoot + ".crl"},
			Policies:              []x509.OID{policyOID(p.policy)},
			PolicyIdentifiers:     []asn1.ObjectIdentifier{p.policy},
		}
		der, err := signCert(tmpl, root, key.Public(), rootKey)
		if err != nil {
			return nil, err
		}
		f := caFile{id: p.issuerID, certPEM: certPEM(der)}
		if f.keyPEM, err = marshalKeyPEM(key); err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// signCert signs a certificate with a fresh random serial.
func signCert(tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) ([]byte, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	tmpl.SignatureAlgorithm = signatureAlgorithm(key.Public())
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		return nil, fmt.Errorf("ca: signing certificate: %w", err)
	}
	return der, nil
}

// subjectKeyID derives a key identifier by RFC 7093 §2 method 1: the
// leftmost 160 bits of the SHA-256 of the subjectPublicKey bits.
func subjectKeyID(pub crypto.PublicKey) []byte {
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil
	}
	var info struct {
		Algorithm asn1.RawValue
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(spki, &info); err != nil {
		return nil
	}
	sum := sha256.Sum256(info.PublicKey.Bytes)
	return sum[:20]
}
