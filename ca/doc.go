// Package ca is kakuin's certificate authority core: it creates the
// development CA hierarchy (a root and one issuing CA per profile), loads it,
// and signs OV/EV end-entity certificates following the CA/Browser Forum
// Baseline Requirements (BR §7.1, "Certificate profile").
//
// Every certificate is built from a template, signed with a throwaway key of
// the issuer's key type, linted with zlint, and only then signed for real;
// the real TBSCertificate must equal the linted one byte for byte (the
// lint-before-sign discipline of Boulder's issuance package). A serial
// number is reserved in the Store before anything is signed with it.
//
// Signing keys sit behind crypto.Signer so a PKCS#11 signer can replace the
// PKCS#8 key files later.
package ca
