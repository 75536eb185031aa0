package acme_test

import (
	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/internal/linttest/lintca"
)

// The test environment's issuer lints every certificate it signs.
var _ acme.Issuer = lintca.CA{}
