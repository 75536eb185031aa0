package config

import (
	"fmt"
	"strings"
)

// envVar is one environment variable ApplyEnv reads.
type envVar struct {
	name string
	key  string
	set  func(c *Config, v string)
}

// envVars lists the environment variables kakuin reads, for container
// deployments that pass secrets (the DSN) and paths that way.
var envVars = []envVar{
	{"KAKUIN_DATABASE_DRIVER", "database.driver", func(c *Config, v string) { c.Database.Driver = v }},
	{"KAKUIN_DATABASE_DSN", "database.dsn", func(c *Config, v string) { c.Database.DSN = v }},
	{"KAKUIN_LISTEN", "listen", func(c *Config, v string) { c.Listen = v }},
	{"KAKUIN_DATA_DIR", "data_dir", func(c *Config, v string) { c.DataDir = v }},
}

// ApplyEnv sets keys from the environment variables KAKUIN_DATABASE_DRIVER,
// KAKUIN_DATABASE_DSN, KAKUIN_LISTEN and KAKUIN_DATA_DIR, read through
// lookup (the command passes os.LookupEnv). A variable that is unset or
// empty changes nothing. A value with a control character (often the
// trailing newline of a secret file) is refused, naming the variable but
// not the value, which may hold a password. Call ApplyDefaults and
// Validate afterwards.
func (c *Config) ApplyEnv(lookup func(string) (string, bool)) error {
	if lookup == nil {
		return nil
	}
	var bad []string
	for _, e := range envVars {
		v, ok := lookup(e.name)
		if !ok || v == "" {
			continue
		}
		if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			bad = append(bad, e.name)
			continue
		}
		e.set(c, v)
		c.markExplicit(e.key, "environment variable "+e.name)
	}
	if len(bad) > 0 {
		return fmt.Errorf("config: environment variable %s contains a control character (a trailing newline?)", strings.Join(bad, ", "))
	}
	return nil
}
