// Package deps pins the modules kakuin's packages use while they are being written.
package deps

import (
	_ "github.com/go-chi/chi/v5"
	_ "github.com/go-jose/go-jose/v4"
	_ "github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/miekg/dns"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/zmap/zcrypto/x509"
	_ "github.com/zmap/zlint/v3"
	_ "github.com/zmap/zlint/v3/lint"
	_ "golang.org/x/crypto/acme"
	_ "golang.org/x/crypto/ocsp"
	_ "golang.org/x/net/idna"
	_ "modernc.org/sqlite"
)
