package ocsp

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
	xocsp "golang.org/x/crypto/ocsp"
)

// testCertID is one hand-built CertID.
type testCertID struct {
	oid asn1.ObjectIdentifier
	// params is the DER of the hashAlgorithm parameters; nil writes NULL,
	// an empty slice none.
	params            []byte
	nameHash, keyHash []byte
	serial            []byte // INTEGER content octets, as written
	singleExtensions  bool
}

// testRequest is a hand-built OCSPRequest (RFC 6960 §4.1.1).
type testRequest struct {
	version       []byte // an explicit [0] version INTEGER content; nil leaves it out
	requestorName bool
	ids           []testCertID
	extensions    bool // a nonce request extension
	signature     bool // an optionalSignature (its content is not checked)
	trailing      []byte
}

var (
	oidSHA1   = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
)

func (r testRequest) der() []byte {
	explicit := func(n int) cbasn1.Tag { return cbasn1.Tag(n).Constructed().ContextSpecific() }
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			if r.version != nil {
				b.AddASN1(explicit(0), func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.INTEGER, func(b *cryptobyte.Builder) { b.AddBytes(r.version) })
				})
			}
			if r.requestorName {
				b.AddASN1(explicit(1), func(b *cryptobyte.Builder) { // GeneralName dNSName
					b.AddASN1(cbasn1.Tag(2).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes([]byte("client.example")) })
				})
			}
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				for _, id := range r.ids {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
								b.AddASN1ObjectIdentifier(id.oid)
								if id.params == nil {
									b.AddASN1NULL()
								} else {
									b.AddBytes(id.params)
								}
							})
							b.AddASN1OctetString(id.nameHash)
							b.AddASN1OctetString(id.keyHash)
							b.AddASN1(cbasn1.INTEGER, func(b *cryptobyte.Builder) { b.AddBytes(id.serial) })
						})
						if id.singleExtensions {
							b.AddASN1(explicit(0), addNonceExtensions)
						}
					})
				}
			})
			if r.extensions {
				b.AddASN1(explicit(2), addNonceExtensions)
			}
		})
		if r.signature {
			b.AddASN1(explicit(0), func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1ObjectIdentifier(asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}) // ecdsa-with-SHA256
					})
					b.AddASN1BitString([]byte{1, 2, 3, 4})
				})
			})
		}
	})
	return append(b.BytesOrPanic(), r.trailing...)
}

// addNonceExtensions adds Extensions holding one nonce (RFC 8954).
func addNonceExtensions(b *cryptobyte.Builder) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 2})
			b.AddASN1(cbasn1.OCTET_STRING, func(b *cryptobyte.Builder) {
				b.AddASN1OctetString(bytes.Repeat([]byte{0xa5}, 32))
			})
		})
	})
}

var (
	sha1Hash   = bytes.Repeat([]byte{0x11}, 20)
	sha1Key    = bytes.Repeat([]byte{0x12}, 20)
	sha256Hash = bytes.Repeat([]byte{0x21}, 32)
	sha256Key  = bytes.Repeat([]byte{0x22}, 32)
	testSerial = []byte{0x01, 0x02, 0x03, 0x04}
)

// sha1ID and sha256ID are well-formed CertIDs; change copies of them.
func sha1ID() testCertID {
	return testCertID{oid: oidSHA1, nameHash: sha1Hash, keyHash: sha1Key, serial: testSerial}
}

func sha256ID() testCertID {
	return testCertID{oid: oidSHA256, nameHash: sha256Hash, keyHash: sha256Key, serial: testSerial}
}

func with(id testCertID, change func(*testCertID)) testCertID {
	change(&id)
	return id
}

// Results of parseRequest the table expects.
const (
	parsed = iota
	isMalformed
	isUnsupported
)

func TestParseRequest(t *testing.T) {
	oidSHA512 := asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidMD5 := asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 5}
	for _, tc := range []struct {
		name       string
		der        []byte
		want       int
		wantHash   crypto.Hash
		wantSerial int64
	}{
		{"SHA-1", testRequest{ids: []testCertID{sha1ID()}}.der(), parsed, crypto.SHA1, 0x01020304},
		{"SHA-256", testRequest{ids: []testCertID{sha256ID()}}.der(), parsed, crypto.SHA256, 0x01020304},
		{"parameters absent", testRequest{ids: []testCertID{with(sha1ID(), func(id *testCertID) { id.params = []byte{} })}}.der(),
			parsed, crypto.SHA1, 0x01020304},
		{"explicit version v1", testRequest{version: []byte{0}, ids: []testCertID{sha1ID()}}.der(), parsed, crypto.SHA1, 0x01020304},
		{"requestorName", testRequest{requestorName: true, ids: []testCertID{sha256ID()}}.der(), parsed, crypto.SHA256, 0x01020304},
		{"nonce", testRequest{ids: []testCertID{sha1ID()}, extensions: true}.der(), parsed, crypto.SHA1, 0x01020304},
		{"singleRequestExtensions", testRequest{ids: []testCertID{with(sha1ID(), func(id *testCertID) { id.singleExtensions = true })}}.der(),
			parsed, crypto.SHA1, 0x01020304},
		{"signed", testRequest{ids: []testCertID{sha1ID()}, signature: true}.der(), parsed, crypto.SHA1, 0x01020304},
		{"every optional field", testRequest{version: []byte{0}, requestorName: true, extensions: true, signature: true,
			ids: []testCertID{with(sha256ID(), func(id *testCertID) { id.singleExtensions = true })}}.der(), parsed, crypto.SHA256, 0x01020304},
		{"negative serial", testRequest{ids: []testCertID{with(sha1ID(), func(id *testCertID) { id.serial = []byte{0xff} })}}.der(),
			parsed, crypto.SHA1, -1},

		{"empty", nil, isMalformed, 0, 0},
		{"not a SEQUENCE", []byte{0x04, 0x00}, isMalformed, 0, 0},
		{"empty SEQUENCE", []byte{0x30, 0x00}, isMalformed, 0, 0},
		{"trailing data", testRequest{ids: []testCertID{sha1ID()}, trailing: []byte{0}}.der(), isMalformed, 0, 0},
		{"version v2", testRequest{version: []byte{1}, ids: []testCertID{sha1ID()}}.der(), isMalformed, 0, 0},
		{"empty request list", testRequest{}.der(), isMalformed, 0, 0},
		{"two certificates", testRequest{ids: []testCertID{sha1ID(), sha256ID()}}.der(), isMalformed, 0, 0},
		{"SHA-1 with 32-byte hashes", testRequest{ids: []testCertID{with(sha1ID(), func(id *testCertID) {
			id.nameHash, id.keyHash = sha256Hash, sha256Key
		})}}.der(), isMalformed, 0, 0},
		{"SHA-256 with 20-byte hashes", testRequest{ids: []testCertID{with(sha256ID(), func(id *testCertID) {
			id.nameHash, id.keyHash = sha1Hash, sha1Key
		})}}.der(), isMalformed, 0, 0},
		{"short key hash", testRequest{ids: []testCertID{with(sha1ID(), func(id *testCertID) { id.keyHash = sha1Key[:19] })}}.der(),
			isMalformed, 0, 0},
		{"parameters not NULL", testRequest{ids: []testCertID{with(sha1ID(), func(id *testCertID) { id.params = []byte{0x02, 0x01, 0x00} })}}.der(),
			isMalformed, 0, 0},
		{"non-minimal serial", testRequest{ids: []testCertID{with(sha1ID(), func(id *testCertID) { id.serial = []byte{0x00, 0x01} })}}.der(),
			isMalformed, 0, 0},
		{"empty serial", testRequest{ids: []testCertID{with(sha1ID(), func(id *testCertID) { id.serial = []byte{} })}}.der(),
			isMalformed, 0, 0},

		{"SHA-512", testRequest{ids: []testCertID{with(sha256ID(), func(id *testCertID) {
			id.oid, id.nameHash, id.keyHash = oidSHA512, make([]byte, 64), make([]byte, 64)
		})}}.der(), isUnsupported, 0, 0},
		{"MD5", testRequest{ids: []testCertID{with(sha1ID(), func(id *testCertID) {
			id.oid, id.nameHash, id.keyHash = oidMD5, make([]byte, 16), make([]byte, 16)
		})}}.der(), isUnsupported, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := parseRequest(tc.der)
			var re *requestError
			switch tc.want {
			case parsed:
				if err != nil {
					t.Fatalf("got %v, want a CertID", err)
				}
				if id.hash != tc.wantHash {
					t.Errorf("hash: got %v, want %v", id.hash, tc.wantHash)
				}
				if id.serial.Cmp(big.NewInt(tc.wantSerial)) != 0 {
					t.Errorf("serial: got %v, want %v", id.serial, tc.wantSerial)
				}
				wantName, wantKey := sha1Hash, sha1Key
				if tc.wantHash == crypto.SHA256 {
					wantName, wantKey = sha256Hash, sha256Key
				}
				if !bytes.Equal(id.nameHash, wantName) || !bytes.Equal(id.keyHash, wantKey) {
					t.Errorf("issuer hashes: got %x %x, want %x %x", id.nameHash, id.keyHash, wantName, wantKey)
				}
			case isMalformed:
				if !errors.As(err, &re) {
					t.Errorf("got %v, want a *requestError", err)
				}
			case isUnsupported:
				if !errors.Is(err, errHashUnsupported) {
					t.Errorf("got %v, want %v", err, errHashUnsupported)
				}
			}
		})
	}
}

// seedRequests are xocsp.CreateRequest requests for a fresh issuer.
func seedRequests(f *testing.F) [][]byte {
	f.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Fuzz CA"}, IsCA: true,
		BasicConstraintsValid: true, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		f.Fatal(err)
	}
	issuer, err := x509.ParseCertificate(der)
	if err != nil {
		f.Fatal(err)
	}
	var out [][]byte
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		for _, serial := range []*big.Int{big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), 158)} {
			req, err := xocsp.CreateRequest(&x509.Certificate{SerialNumber: serial}, issuer, &xocsp.RequestOptions{Hash: h})
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, req)
		}
	}
	return out
}

func FuzzParseRequest(f *testing.F) {
	for _, der := range seedRequests(f) {
		f.Add(der)
		f.Add(der[:len(der)/2])
	}
	for _, r := range []testRequest{
		{ids: []testCertID{sha1ID()}},
		{version: []byte{0}, requestorName: true, extensions: true, signature: true,
			ids: []testCertID{with(sha256ID(), func(id *testCertID) { id.singleExtensions = true })}},
		{ids: []testCertID{sha1ID(), sha256ID()}},
		{},
		{ids: []testCertID{with(sha1ID(), func(id *testCertID) { id.nameHash = sha256Hash })}},
		{ids: []testCertID{with(sha1ID(), func(id *testCertID) { id.params = []byte{0x02, 0x01, 0x00} })}},
	} {
		f.Add(r.der())
	}
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x00})
	f.Add([]byte{0x30, 0x80, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		id, err := parseRequest(der)
		if err != nil {
			var re *requestError
			if !errors.As(err, &re) && !errors.Is(err, errHashUnsupported) {
				t.Fatalf("error %v is neither malformed nor unsupported hash", err)
			}
			return
		}
		if id.hash != crypto.SHA1 && id.hash != crypto.SHA256 {
			t.Fatalf("hash: got %v, want SHA-1 or SHA-256", id.hash)
		}
		if len(id.nameHash) != id.hash.Size() || len(id.keyHash) != id.hash.Size() {
			t.Fatalf("hash lengths: got %d and %d, want %d", len(id.nameHash), len(id.keyHash), id.hash.Size())
		}
		if id.serial == nil {
			t.Fatal("no serial")
		}
		_ = serialKey(id.serial) // must not panic for any serial
	})
}
