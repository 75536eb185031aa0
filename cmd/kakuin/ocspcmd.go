package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/ocsp"
)

// runOCSP implements `kakuin ocsp`: the OCSP responder and the CRL
// endpoints alone, on the plain-HTTP listener (http_listen), reading the
// database only. It needs the issuing CA certificates from ca.dir, not
// their keys, and writes nothing: point it at a read-only role or a
// replica to scale status out separately from the ACME server. Having no
// keys, it answers serials it has no response for with unauthorized (RFC
// 5019 §2.2.3), never "good".
func runOCSP(ctx context.Context, env *cliEnv, args []string) error {
	flags := newFlagSet("ocsp", env.stderr)
	cf := registerCommonFlags(flags)
	pos, err := parseInterleaved(flags, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, "kakuin ocsp [--config FILE] [--http-listen ADDR] [--db-driver D --db-dsn DSN]"); err != nil {
		return err
	}
	cfg, err := cf.load(env)
	if err != nil {
		return err
	}
	if cfg.OCSP.Disabled {
		return errors.New("ocsp.disabled is set: there is no OCSP to serve (CRLs are served by kakuin serve)")
	}
	addr := cfg.HTTPListen
	logger := newLogger(env, cfg)
	certs, err := ca.ReadIssuerCertificates(cfg.CA.Dir)
	if err != nil {
		return fmt.Errorf("%w (kakuin ocsp reads the issuing CA certificates from ca.dir)", err)
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	pending, err := db.Pending(ctx)
	if err != nil {
		return err
	}
	if len(pending) > 0 {
		return fmt.Errorf("the database lacks migrations %s: run `kakuin migrate` with a role that may write", strings.Join(pending, ", "))
	}
	status, err := newStatusHandler(cfg, db, issuerMap(certs), nil, logger)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/crl/", status.crl)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := db.Ping(r.Context()); err != nil {
			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: status.wrap(mux), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 16 << 10}
	bg, stop := context.WithCancel(ctx)
	defer stop()
	go status.responder.Run(bg)
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	fmt.Fprintf(env.stdout, "kakuin ocsp is serving on %s (database: %s, read-only)\n  OCSP: http://%s%s\n  CRLs: http://%s%s\n",
		ln.Addr(), cfg.Database.Driver, ln.Addr(), ocspPath, ln.Addr(), ocsp.PartitionsPath)
	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	stop()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
