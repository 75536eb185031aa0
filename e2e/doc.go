// Package e2e holds kakuin's end-to-end acceptance tests: the kakuin binary
// is built and started as an operator would start it, administered through
// its CLI, and driven by the real ACME clients users run (certbot and lego,
// from Debian packages), against SQLite and a throwaway PostgreSQL cluster.
package e2e
