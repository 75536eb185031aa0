// Package config is kakuin's configuration: one JSON file, a few
// environment variables and command-line flags, read strictly and checked
// completely before anything starts.
//
// Sources apply in this order, each overriding the one before:
//
//	built-in defaults < configuration file < environment < flags
//
// Unknown keys, duplicate keys, values of the wrong type, durations written
// as numbers and trailing data are errors that name the key, the file and
// the line. Every missing key takes its documented default, so an empty
// file (or none) gives a working development setup with --dev.
//
// Defaults that derive from other settings (database.dsn, ca.dir and the
// development TLS files from data_dir; base_url from listen;
// database.migrate_on_start and validation.allow_private from dev) are
// computed by ApplyDefaults after all sources are applied, and only for keys
// no source set, so `--data /srv/kakuin` moves the SQLite database and CA
// directory with it.
//
// The command wires it like this:
//
//	c := config.Default()
//	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
//	path := fs.String("config", "", "configuration file (JSON)")
//	config.RegisterFlags(fs, c)
//	if err := fs.Parse(args); err != nil { ... }
//	if err := config.Resolve(c, *path, os.LookupEnv, fs); err != nil { ... }
//
// The package reads no environment by itself; the command passes
// os.LookupEnv. reference.md documents every key and is checked against the
// Config type by the package's tests.
package config
