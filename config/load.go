package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// Load reads the configuration file at path (JSON), applies defaults and
// validates the result. Every problem of the file or of the values is
// reported at once in an *Error naming the file, the keys and lines.
// Environment and flags are not applied; see Resolve.
func Load(path string) (*Config, error) {
	c := &Config{}
	if err := c.readFile(path); err != nil {
		return nil, err
	}
	c.ApplyDefaults()
	if err := c.Validate(); err != nil {
		return nil, withSource(err, path)
	}
	return c, nil
}

// Parse is Load for a configuration already in memory; name is used in
// messages.
func Parse(data []byte, name string) (*Config, error) {
	c := &Config{}
	if err := decodeStrict(data, name, c); err != nil {
		return nil, err
	}
	c.ApplyDefaults()
	if err := c.Validate(); err != nil {
		return nil, withSource(err, name)
	}
	return c, nil
}

// Read strictly decodes the configuration file at path without applying
// defaults or validating, for a command that layers the environment and
// its own flags on top itself: Read, ApplyEnv, set fields, ApplyDefaults,
// Validate. Problems of the file are reported as by Load.
func Read(path string) (*Config, error) {
	c := &Config{}
	if err := c.readFile(path); err != nil {
		return nil, err
	}
	return c, nil
}

// Resolve builds the effective configuration into c, whose fields fs's
// flags were bound to by RegisterFlags: built-in defaults, then the file
// at path (none if path is empty), then the environment read through
// lookup (nil for none), then the flags set on the command line. It then
// applies derived defaults and validates.
func Resolve(c *Config, path string, lookup func(string) (string, bool), fs *flag.FlagSet) error {
	fresh := &Config{}
	if path != "" {
		if err := fresh.readFile(path); err != nil {
			return err
		}
	}
	if err := fresh.ApplyEnv(lookup); err != nil {
		return err
	}
	*c = *fresh
	applyFlags(fs, c)
	c.ApplyDefaults()
	if err := c.Validate(); err != nil {
		return withSource(err, path)
	}
	return nil
}

// readFile decodes the file at path onto c.
func (c *Config) readFile(path string) error {
	if path == "" {
		return errors.New("config: no configuration file given")
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return fmt.Errorf("config: %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return fmt.Errorf("config: %s: larger than %d bytes; is it the right file?", path, MaxFileSize)
	}
	return decodeStrict(data, path, c)
}

// withSource sets the source of a validation *Error.
func withSource(err error, source string) error {
	var e *Error
	if errors.As(err, &e) && e.Source == "" {
		e.Source = source
	}
	return err
}
