package acme

import (
	"net/http"

	"github.com/kakuin/kakuin/vetting"
)

// directoryJSON is the directory object (RFC 8555 §7.1.1).
type directoryJSON struct {
	NewNonce   string `json:"newNonce"`
	NewAccount string `json:"newAccount"`
	NewOrder   string `json:"newOrder"`
	RevokeCert string `json:"revokeCert"`
	KeyChange  string `json:"keyChange"`
	// RenewalInfo is the ARI resource (RFC 9773 §4).
	RenewalInfo string   `json:"renewalInfo"`
	Meta        metaJSON `json:"meta"`
}

// metaJSON is the directory's "meta" object (RFC 8555 §7.1.1). kakuin
// always requires External Account Binding (§7.3.4).
type metaJSON struct {
	TermsOfService          string   `json:"termsOfService,omitempty"`
	Website                 string   `json:"website,omitempty"`
	CAAIdentities           []string `json:"caaIdentities,omitempty"`
	ExternalAccountRequired bool     `json:"externalAccountRequired"`
	// Profiles names the certificate profiles a newOrder may ask for,
	// with a description (draft-ietf-acme-profiles §3).
	Profiles map[string]string `json:"profiles"`
}

// profileDescriptions are the profiles of the directory's meta.profiles.
var profileDescriptions = map[string]string{
	vetting.ProfileOV: "Organization Validated TLS server certificate (policy 2.23.140.1.2.2), from the OV issuing CA",
	vetting.ProfileEV: "Extended Validation TLS server certificate (policy 2.23.140.1.1), from the EV issuing CA",
}

// directory implements RFC 8555 §7.1.1. newAuthz is absent: kakuin does
// not offer pre-authorization (§7.4.1).
func (s *Server) directory(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, directoryJSON{
		NewNonce:    s.baseURL + pathNewNonce,
		NewAccount:  s.baseURL + pathNewAccount,
		NewOrder:    s.baseURL + pathNewOrder,
		RevokeCert:  s.baseURL + pathRevokeCert,
		KeyChange:   s.baseURL + pathKeyChange,
		RenewalInfo: s.baseURL + pathRenewalInfo,
		Meta: metaJSON{
			TermsOfService:          s.meta.TermsOfService,
			Website:                 s.meta.Website,
			CAAIdentities:           s.meta.CAAIdentities,
			ExternalAccountRequired: true,
			Profiles:                profileDescriptions,
		},
	})
}
