package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kakuin/kakuin/acme"
	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/config"
	"github.com/kakuin/kakuin/ocsp"
)

// runServe implements `kakuin serve`: the ACME server, the CA's issuer
// certificates (AIA) and Prometheus metrics on one HTTPS listener.
func runServe(ctx context.Context, env *cliEnv, args []string) error {
	flags := newFlagSet("serve", env.stderr)
	cf := registerCommonFlags(flags)
	pos, err := parseInterleaved(flags, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, "kakuin serve [--config FILE] [--data DIR] [--listen ADDR] [--dev] [flags]"); err != nil {
		return err
	}
	cfg, err := cf.load(env)
	if err != nil {
		return err
	}
	logger := newLogger(env, cfg)

	if err := checkCAExists(cfg); err != nil {
		return err
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := prepareSchema(ctx, cfg, db)
	if err != nil {
		return err
	}
	if len(applied) > 0 {
		logger.Info("migrations applied", "versions", applied)
	}

	authority, err := loadCA(cfg, db, logger)
	if err != nil {
		return err
	}
	tlsFiles, err := serverTLS(cfg)
	if err != nil {
		return err
	}
	validator, err := newValidator(cfg, logger)
	if err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	status, err := ocsp.NewService(ocsp.ServiceOptions{Store: db, Signer: authority, OCSP: !cfg.OCSP.Disabled,
		CRLShards: cfg.CRL.Shards, CRLValidity: cfg.CRL.Validity.Duration, CRLInterval: cfg.CRL.Interval.Duration,
		Logger: logger})
	if err != nil {
		return err
	}
	// Every partition has a CRL before the first certificate names one.
	if err := status.UpdateCRLs(ctx); err != nil {
		return fmt.Errorf("signing the CRLs: %w", err)
	}
	statusHandler, err := newStatusHandler(cfg, db, authority, authority, logger)
	if err != nil {
		return err
	}
	vet, err := newVetting(cfg, db)
	if err != nil {
		return err
	}
	acmeSrv, err := acme.New(acme.Options{
		Store:      db,
		Vetting:    vet,
		Issuer:     authority,
		Revoker:    status,
		Validator:  validator,
		BaseURL:    cfg.BaseURL,
		Policy:     acmePolicy(cfg),
		Meta:       acme.Meta{TermsOfService: cfg.ACME.TermsOfService, Website: cfg.ACME.Website, CAAIdentities: cfg.ACME.CAAIdentities},
		Logger:     logger,
		Registerer: reg,
	})
	if err != nil {
		return err
	}

	mux := http.NewServeMux()
	mux.Handle("/acme/", acmeSrv.Handler())
	mux.Handle("/ca/", authority)
	mux.Handle("/crl/", statusHandler.crl)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if err := db.Ping(r.Context()); err != nil {
			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})

	// The plain-HTTP listener publishes what certificates point at (AIA
	// caIssuers and OCSP, CRL DP); relying parties fetch it without TLS.
	httpMux := http.NewServeMux()
	httpMux.Handle("/ca/", authority)
	httpMux.Handle("/crl/", statusHandler.crl)
	httpLn, err := net.Listen("tcp", cfg.HTTPListen)
	if err != nil {
		return fmt.Errorf("listen on %s (http_listen): %w", cfg.HTTPListen, err)
	}
	httpSrv := &http.Server{Handler: statusHandler.wrap(httpMux), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, MaxHeaderBytes: 8 << 10}
	go func() {
		if err := httpSrv.Serve(httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("plain-HTTP listener stopped", "err", err)
		}
	}()
	defer httpSrv.Close()

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	srv := &http.Server{
		Handler:           statusHandler.wrap(mux),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	trustPEM := ""
	serveErr := make(chan error, 1)
	if tlsFiles != nil {
		cert, err := tls.LoadX509KeyPair(tlsFiles.CertFile, tlsFiles.KeyFile)
		if err != nil {
			ln.Close()
			return fmt.Errorf("tls: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		trustPEM = tlsFiles.TrustPEM
		adminSrv, err := startAdmin(cfg, cert, vet, logger)
		if err != nil {
			ln.Close()
			return err
		}
		if adminSrv != nil {
			defer adminSrv.Close()
		}
		go func() { serveErr <- srv.ServeTLS(ln, "", "") }()
	} else {
		logger.Warn("no TLS certificate configured: serving plain HTTP; put a TLS-terminating proxy in front", "base_url", cfg.BaseURL)
		go func() { serveErr <- srv.Serve(ln) }()
	}
	bgCtx, stopBackground := context.WithCancel(ctx)
	defer stopBackground()
	go acmeSrv.Run(bgCtx)
	go status.Run(bgCtx)
	if statusHandler.responder != nil {
		go statusHandler.responder.Run(bgCtx)
	}

	printBanner(env.stdout, cfg, trustPEM)

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	stopBackground()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	acmeSrv.Shutdown(shutdownCtx)
	return nil
}

// checkCAExists refuses to start a non-dev server whose CA hierarchy has
// not been created, before anything is written.
func checkCAExists(cfg *config.Config) error {
	if _, err := os.Stat(filepath.Join(cfg.CA.Dir, ca.IssuerRoot+".pem")); errors.Is(err, fs.ErrNotExist) && !cfg.Dev {
		return fmt.Errorf("no CA hierarchy in %s: run `kakuin init` first (or start with --dev)", cfg.CA.Dir)
	}
	return nil
}

// loadCA loads the CA hierarchy, creating a dev hierarchy on the first dev
// start.
func loadCA(cfg *config.Config, db ca.Store, logger *slog.Logger) (*ca.Authority, error) {
	if _, err := os.Stat(filepath.Join(cfg.CA.Dir, ca.IssuerRoot+".pem")); errors.Is(err, fs.ErrNotExist) {
		if err := ca.Init(caInitOptions(cfg)); err != nil {
			return nil, err
		}
		logger.Info("dev CA hierarchy created", "dir", cfg.CA.Dir, "key_type", cfg.CA.KeyType)
	}
	return ca.Load(caOptions(cfg, db))
}

// caInitOptions are the options `kakuin init` and the first dev start use.
func caInitOptions(cfg *config.Config) ca.InitOptions {
	o := ca.InitOptions{Dir: cfg.CA.Dir, KeyType: cfg.CA.KeyType, BaseURL: cfg.HTTPBaseURL,
		Organization: cfg.CA.Organization, Country: cfg.CA.Country}
	if o.Organization == "" {
		o.Organization = "kakuin Development CA"
		if !cfg.Dev {
			o.Organization = "kakuin CA"
		}
	}
	if o.Country == "" {
		o.Country = "JP"
	}
	return o
}

// caOptions are the options serve loads the CA with.
func caOptions(cfg *config.Config, db ca.Store) ca.Options {
	o := ca.Options{Dir: cfg.CA.Dir, Store: db, BaseURL: cfg.HTTPBaseURL, CRLShards: cfg.CRL.Shards, Dev: cfg.Dev,
		EVPolicyOID: cfg.CA.EVPolicyOID,
		OCSP: ca.OCSPOptions{Validity: cfg.OCSP.ResponseValidity.Duration, SignWithIssuer: cfg.OCSP.SignWithIssuer,
			ResponderValidity: cfg.OCSP.ResponderValidity.Duration}}
	if !cfg.OCSP.Disabled {
		o.OCSPURL = cfg.HTTPBaseURL + ocspPath
	}
	return o
}
