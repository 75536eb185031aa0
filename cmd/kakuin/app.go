package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/kakuin/kakuin/config"
	"github.com/kakuin/kakuin/store"
	"github.com/kakuin/kakuin/vetting"
)

// commonFlags are the flags every subcommand takes (--config and those of
// config.RegisterFlags: --data, --dev, --listen, --db-driver, --db-dsn, ...),
// so that a second shell reaches the same data directory and database as a
// running server.
type commonFlags struct {
	fs         *flag.FlagSet
	configFile string
	cfg        config.Config
}

func registerCommonFlags(fs *flag.FlagSet) *commonFlags {
	cf := &commonFlags{fs: fs}
	fs.StringVar(&cf.configFile, "config", "", "configuration `file` (JSON; see README)")
	config.RegisterFlags(fs, &cf.cfg)
	return cf
}

// load builds the configuration: defaults < file < environment < flags.
func (cf *commonFlags) load(env *cliEnv) (*config.Config, error) {
	if err := config.Resolve(&cf.cfg, cf.configFile, env.lookupEnv, cf.fs); err != nil {
		return nil, err
	}
	return &cf.cfg, nil
}

// openStore opens the configured database, creating the data directory
// for an embedded SQLite database.
func openStore(ctx context.Context, cfg *config.Config) (store.Backend, error) {
	if cfg.Database.Driver == config.DriverSQLite {
		if err := os.MkdirAll(filepath.Dir(cfg.Database.DSN), 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
	}
	return store.Open(ctx, store.Options{Driver: cfg.Database.Driver, DSN: cfg.Database.DSN, MaxConns: cfg.Database.MaxConns})
}

// prepareSchema migrates the database when the configuration says so
// (dev mode does), and otherwise refuses a database with pending
// migrations, telling the operator to run `kakuin migrate`. It returns the
// migrations it applied.
func prepareSchema(ctx context.Context, cfg *config.Config, db store.Backend) ([]string, error) {
	if *cfg.Database.MigrateOnStart {
		return db.Migrate(ctx)
	}
	pending, err := db.Pending(ctx)
	if err != nil {
		return nil, err
	}
	if len(pending) > 0 {
		return nil, fmt.Errorf("the %s database has %d migration(s) not applied (%s): run `kakuin migrate` with the same --config/--data/--db-* flags first",
			cfg.Database.Driver, len(pending), strings.Join(pending, ", "))
	}
	return nil, nil
}

// app is what an administrative subcommand works with.
type app struct {
	cfg     *config.Config
	store   store.Backend
	vetting *vetting.Service
}

// openApp loads the configuration and opens the store (migrating it first
// when the configuration says so) for an administrative subcommand.
func openApp(ctx context.Context, env *cliEnv, cf *commonFlags) (*app, error) {
	cfg, err := cf.load(env)
	if err != nil {
		return nil, err
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if _, err := prepareSchema(ctx, cfg, db); err != nil {
		db.Close()
		return nil, err
	}
	vet, err := newVetting(cfg, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &app{cfg: cfg, store: db, vetting: vet}, nil
}

func (a *app) Close() error { return a.store.Close() }

// withApp opens the app for an administrative subcommand, runs fn with it
// and closes it.
func withApp(ctx context.Context, env *cliEnv, cf *commonFlags, fn func(a *app) error) error {
	a, err := openApp(ctx, env, cf)
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a)
}

// newLogger returns the configured slog logger writing to stderr.
func newLogger(env *cliEnv, cfg *config.Config) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if strings.EqualFold(cfg.Log.Format, "json") {
		return slog.New(slog.NewJSONHandler(env.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(env.stderr, opts))
}
