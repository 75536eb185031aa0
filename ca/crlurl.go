package ca

import (
	"math/big"
	"strconv"
)

// MaxCRLShards bounds Options.CRLShards.
const MaxCRLShards = 4096

// CRLPath is the path, under the plain-HTTP base URL, of an issuer's CRL
// partition: /crl/<issuer>/<shard>.crl.
func CRLPath(issuerID string, shard int) string {
	return "/crl/" + issuerID + "/" + strconv.Itoa(shard) + ".crl"
}

// CRLURL is the full URL of a CRL partition: the CRL distribution point of
// the leaves assigned to it and, byte for byte, the distributionPoint of
// its issuingDistributionPoint (BR §7.2.2).
func (a *Authority) CRLURL(issuerID string, shard int) string {
	return a.baseURL + CRLPath(issuerID, shard)
}

// shardOf assigns a serial to one of n CRL partitions. Serials are random,
// so the partitions fill evenly; the shard is stored with the certificate,
// so changing n later moves no existing certificate.
func shardOf(serial *big.Int, n int) int {
	return int(new(big.Int).Mod(serial, big.NewInt(int64(n))).Int64())
}
