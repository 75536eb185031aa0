package ocsp_test

import (
	"github.com/kakuin/kakuin/internal/linttest/lintca"
	"github.com/kakuin/kakuin/ocsp"
)

// The test environment's signer lints every response and CRL it signs.
var (
	_ ocsp.Signer        = lintca.CA{}
	_ ocsp.UnknownSigner = lintca.CA{}
)
