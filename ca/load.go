package ca

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/zmap/zlint/v3/lint"
)

// Options configures Load.
type Options struct {
	// Dir holds the files Init wrote. root.key is never read: keep it
	// offline.
	Dir string
	// Store reserves serial numbers before signing. Required.
	Store Store
	// BaseURL is the plain http:// URL under which the CA certificates are
	// published; leaves get BaseURL/ca/<issuer>.der as AIA caIssuers.
	// Required.
	BaseURL string
	// Clock returns the current time. Default time.Now.
	Clock func() time.Time
	// Validity of leaves, counted inclusively (notAfter = notBefore +
	// Validity - 1s), capped by MaxValidity at issuance. Zero means the
	// maximum the Baseline Requirements allow on the day (MaxValidity).
	Validity time.Duration
	// CRLShards is the number of CRL partitions per issuer a new leaf is
	// assigned to (by its serial); the leaf's CRL distribution point is
	// CRLURL(issuer, shard). 0 leaves the CRL DP out; then OCSPURL is
	// required (BR §7.1.2.11.2: a leaf needs one of the two).
	CRLShards int
	// OCSPURL, when set, is the http:// OCSP responder put in leaves' AIA,
	// and Issue signs each leaf's first OCSP response.
	OCSPURL string
	// OCSP configures OCSP response signing.
	OCSP OCSPOptions
	// Dev marks a development CA whose URLs point at loopback addresses;
	// pre-issuance linting then accepts the warnings about internal names
	// in those URLs (devAllowedWarnings). Never set in production.
	Dev bool
	// EVPolicyOID, when set, is the CA's own EV policy in dotted form
	// (ParseEVPolicyOID), asserted in EV leaves after the reserved
	// 2.23.140.1.1.
	EVPolicyOID string
}

// Authority signs end-entity certificates with the issuing CAs loaded from
// a directory. It is safe for concurrent use.
type Authority struct {
	store     Store
	clock     func() time.Time
	validity  time.Duration
	baseURL   string
	crlShards int
	ocspURL   string
	ocsp      OCSPOptions
	dev       bool
	evPolicy  asn1.ObjectIdentifier

	root    *x509.Certificate
	rootPEM []byte
	issuers map[string]*issuer // by issuer id (ov, ev)
	lints   lint.Registry
	files   map[string]servedFile // by name under /ca/
}

// issuer is one loaded issuing CA with its lint twin.
type issuer struct {
	id     string
	prof   profile
	cert   *x509.Certificate
	pem    []byte
	signer crypto.Signer
	sigAlg x509.SignatureAlgorithm
	// lintParent has the issuer's subject and key identifier but the
	// throwaway lintSigner's public key, so a certificate signed by it has
	// a TBSCertificate identical to the real one.
	lintParent *x509.Certificate
	lintSigner crypto.Signer
	lintAlg    sigAlg // the lint key's (and the issuer's) signature algorithm

	// OCSP: the issuer's CertID hashes, the issuer as its own OCSP signer,
	// and its delegated responder.
	ocspSHA1, ocspSHA256 certIDHash
	selfSigner           *ocspSigner
	responder            *responderSlot
}

// Load reads and cross-checks the hierarchy in opts.Dir: each issuing CA's
// key must be a private key file closed to group and others and match its
// certificate, and each issuing CA must be signed by the root, valid now,
// and carry its profile's policy OID. Load also prepares the lint registry
// and one throwaway lint key per issuer key type (never written anywhere).
func Load(opts Options) (*Authority, error) {
	if opts.Store == nil {
		return nil, errors.New("ca: Options.Store is required")
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Validity < 0 || opts.Validity%time.Second != 0 {
		return nil, fmt.Errorf("ca: Options.Validity %v must be zero (the maximum allowed) or a positive whole number of seconds", opts.Validity)
	}
	baseURL, err := checkHTTPURL("Options.BaseURL", opts.BaseURL)
	if err != nil {
		return nil, err
	}
	if opts.OCSPURL != "" {
		if _, err := checkHTTPURL("Options.OCSPURL", opts.OCSPURL); err != nil {
			return nil, err
		}
	} else if opts.CRLShards == 0 {
		return nil, errors.New("ca: Options.CRLShards or Options.OCSPURL is required: BR §7.1.2.11.2 wants a CRL distribution point in leaves without an OCSP URL")
	}
	if opts.CRLShards < 0 || opts.CRLShards > MaxCRLShards {
		return nil, fmt.Errorf("ca: Options.CRLShards %d out of range 0-%d", opts.CRLShards, MaxCRLShards)
	}
	ocspOpts, err := checkOCSPOptions(opts.OCSP)
	if err != nil {
		return nil, err
	}
	var evPolicy asn1.ObjectIdentifier
	if opts.EVPolicyOID != "" {
		if evPolicy, err = ParseEVPolicyOID(opts.EVPolicyOID); err != nil {
			return nil, err
		}
	}
	a := &Authority{
		store:     opts.Store,
		clock:     opts.Clock,
		validity:  opts.Validity,
		baseURL:   baseURL,
		crlShards: opts.CRLShards,
		ocspURL:   opts.OCSPURL,
		ocsp:      ocspOpts,
		evPolicy:  evPolicy,
		dev:       opts.Dev,
		issuers:   make(map[string]*issuer),
	}
	if err := a.loadRoot(opts.Dir); err != nil {
		return nil, err
	}
	now := opts.Clock()
	lintKeys := make(map[string]crypto.Signer) // by key type
	for _, name := range issuerProfiles {
		iss, err := loadIssuer(opts.Dir, profiles[name], a.root, now)
		if err != nil {
			return nil, err
		}
		kt := keyTypeOf(iss.cert.PublicKey)
		if lintKeys[kt] == nil {
			if lintKeys[kt], err = generateKey(kt); err != nil {
				return nil, err
			}
		}
		iss.lintSigner = lintKeys[kt]
		iss.lintParent = &x509.Certificate{
			RawSubject:   iss.cert.RawSubject,
			SubjectKeyId: iss.cert.SubjectKeyId,
			PublicKey:    iss.lintSigner.Public(),
		}
		if err := iss.prepareStatusSigning(); err != nil {
			return nil, err
		}
		a.issuers[iss.id] = iss
	}
	if a.lints, err = newLintRegistry(); err != nil {
		return nil, err
	}
	a.files = servedFiles(a)
	return a, nil
}

// loadRoot reads root.pem and checks that it is a self-signed CA.
func (a *Authority) loadRoot(dir string) error {
	path := filepath.Join(dir, IssuerRoot+".pem")
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	root, err := parseCertPEM(data)
	if err != nil {
		return fmt.Errorf("ca: %s: %w", path, err)
	}
	if !root.IsCA || !bytes.Equal(root.RawIssuer, root.RawSubject) {
		return fmt.Errorf("ca: %s is not a self-signed CA certificate", path)
	}
	if err := root.CheckSignatureFrom(root); err != nil {
		return fmt.Errorf("ca: %s: bad self-signature: %w", path, err)
	}
	// The root key stays offline, but a copy left beside the certificate
	// must at least not be readable by others.
	keyPath := filepath.Join(dir, IssuerRoot+".key")
	if fi, err := os.Stat(keyPath); err == nil {
		if err := checkKeyMode(keyPath, fi); err != nil {
			return err
		}
	}
	a.root, a.rootPEM = root, certPEM(root.Raw)
	return nil
}

// loadIssuer reads and checks one issuing CA.
func loadIssuer(dir string, p profile, root *x509.Certificate, now time.Time) (*issuer, error) {
	certPath := filepath.Join(dir, p.issuerID+".pem")
	keyPath := filepath.Join(dir, p.issuerID+".key")
	data, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	cert, err := parseCertPEM(data)
	if err != nil {
		return nil, fmt.Errorf("ca: %s: %w", certPath, err)
	}
	keyData, err := readKeyFile(keyPath)
	if err != nil {
		return nil, err
	}
	signer, err := parseKeyPEM(keyData)
	if err != nil {
		return nil, fmt.Errorf("ca: %s: %w", keyPath, err)
	}
	switch {
	case !publicKeysEqual(signer, cert.PublicKey):
		return nil, fmt.Errorf("ca: %s does not match the public key of %s", keyPath, certPath)
	case keyTypeOf(cert.PublicKey) == "":
		return nil, fmt.Errorf("ca: %s: unsupported issuer key type", certPath)
	case !cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign == 0:
		return nil, fmt.Errorf("ca: %s is not a CA certificate allowed to sign certificates", certPath)
	case len(cert.SubjectKeyId) == 0:
		return nil, fmt.Errorf("ca: %s has no subject key identifier", certPath)
	case !bytes.Equal(cert.RawIssuer, root.RawSubject):
		return nil, fmt.Errorf("ca: %s was not issued by the root in %s.pem", certPath, IssuerRoot)
	case !hasOnlyPolicy(cert, p):
		return nil, fmt.Errorf("ca: %s must carry exactly the policy %v", certPath, p.policy)
	case now.Before(cert.NotBefore) || now.After(cert.NotAfter):
		return nil, fmt.Errorf("ca: %s is not valid now (%s to %s)", certPath,
			cert.NotBefore.Format(time.RFC3339), cert.NotAfter.Format(time.RFC3339))
	}
	if err := cert.CheckSignatureFrom(root); err != nil {
		return nil, fmt.Errorf("ca: %s is not signed by the root: %w", certPath, err)
	}
	return &issuer{
		id:     p.issuerID,
		prof:   p,
		cert:   cert,
		pem:    certPEM(cert.Raw),
		signer: signer,
		sigAlg: signatureAlgorithm(cert.PublicKey),
	}, nil
}

// hasOnlyPolicy reports whether cert asserts exactly the profile's policy.
func hasOnlyPolicy(cert *x509.Certificate, p profile) bool {
	return len(cert.Policies) == 1 && cert.Policies[0].Equal(policyOID(p.policy))
}

// checkOCSPOptions applies the defaults and checks the ranges.
func checkOCSPOptions(o OCSPOptions) (OCSPOptions, error) {
	if o.Validity == 0 {
		o.Validity = DefaultOCSPValidity
	}
	if o.ResponderValidity == 0 {
		o.ResponderValidity = max(DefaultResponderValidity, 2*o.Validity)
	}
	switch {
	case o.Validity < minOCSPValidity || o.Validity > maxOCSPValidity:
		return o, fmt.Errorf("ca: OCSPOptions.Validity %v out of range 8h-240h (BR §4.9.10)", o.Validity)
	case o.ResponderValidity < 2*o.Validity:
		return o, fmt.Errorf("ca: OCSPOptions.ResponderValidity %v must be at least twice the response validity %v",
			o.ResponderValidity, o.Validity)
	}
	return o, nil
}

// prepareStatusSigning computes what signing OCSP responses and CRLs for
// the issuer needs: its CertID hashes and signature algorithms.
func (iss *issuer) prepareStatusSigning() error {
	var err error
	if iss.ocspSHA1, iss.ocspSHA256, err = certIDHashes(iss.cert); err != nil {
		return fmt.Errorf("ca: %s: %w", iss.id, err)
	}
	alg, err := sigAlgFor(iss.sigAlg)
	if err != nil {
		return err
	}
	iss.lintAlg = alg
	keyHash, err := keyHashSHA1(iss.cert)
	if err != nil {
		return err
	}
	iss.selfSigner = &ocspSigner{signer: iss.signer, alg: alg, keyHash: keyHash}
	iss.responder = &responderSlot{}
	return nil
}
