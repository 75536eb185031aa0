package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/kakuin/kakuin/admin"
	"github.com/kakuin/kakuin/ca"
	"github.com/kakuin/kakuin/config"
	"github.com/kakuin/kakuin/vetting"
)

// startAdmin serves the officers' admin API on cfg.AdminListen over TLS
// with the server's certificate, requiring a client certificate from the
// officer CA of the CA directory. It returns nil when the API is off.
func startAdmin(cfg *config.Config, cert tls.Certificate, vet *vetting.Service, logger *slog.Logger) (*http.Server, error) {
	if cfg.AdminListen == "" {
		return nil, nil
	}
	pool, err := ca.OfficerCAPool(cfg.CA.Dir, time.Now())
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.AdminListen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s (admin_listen): %w", cfg.AdminListen, err)
	}
	srv := &http.Server{
		Handler: admin.New(admin.Options{Vetting: vet, Logger: logger}),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
			ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool},
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("admin listener stopped", "err", err)
		}
	}()
	logger.Info("officers' admin API listening", "addr", ln.Addr().String())
	return srv, nil
}
