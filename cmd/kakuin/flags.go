package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/kakuin/kakuin/vetting"
	"io"
	"strings"
)

// parseInterleaved parses fs from args allowing flags after positional
// arguments ("eab revoke KID --data DIR"), and returns the positionals.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positionals []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			// The flag package has printed the error and the flags.
			return nil, errFlagParse
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positionals, nil
		}
		positionals = append(positionals, rest[0])
		args = rest[1:]
	}
}

// errFlagParse reports a flag error the flag package has already printed,
// with the command's flags.
var errFlagParse = errors.New("bad flags")

// newFlagSet returns a FlagSet that reports errors instead of exiting and
// prints its usage to w.
func newFlagSet(name string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("kakuin "+name, flag.ContinueOnError)
	fs.SetOutput(w)
	return fs
}

// printResult prints v as one JSON object when asJSON is set, and the human
// text otherwise.
func printResult(w io.Writer, asJSON bool, v any, human string) error {
	if asJSON {
		enc := json.NewEncoder(w)
		return enc.Encode(v)
	}
	_, err := fmt.Fprintln(w, human)
	return err
}

// parseArgs parses a subcommand's flags (interleaved with its positional
// arguments) and checks that there are exactly n positional arguments.
func parseArgs(fs *flag.FlagSet, args []string, n int, usage string) ([]string, error) {
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return nil, err
	}
	return pos, wantArgs(pos, n, usage)
}

// wantArgs checks the number of positional arguments.
func wantArgs(got []string, n int, usage string) error {
	if len(got) != n {
		return fmt.Errorf("%w: %s", errUsage, usage)
	}
	return nil
}

// onlySubcommand checks that args start with the one subcommand name a
// command has, and says how to call it otherwise.
func onlySubcommand(args []string, name, usage string) error {
	if len(args) > 0 && args[0] == name {
		return nil
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return fmt.Errorf("%w: unknown subcommand %q; %s", errUsage, args[0], usage)
	}
	return fmt.Errorf("%w: %s", errUsage, usage)
}

// parseContractArg parses the flags and the one positional argument of a
// contract subcommand, a contract code with a valid check digit.
func parseContractArg(fs *flag.FlagSet, args []string, usage string) (string, error) {
	pos, err := parseArgs(fs, args, 1, usage)
	if err != nil {
		return "", err
	}
	if err := vetting.ValidateContractCode(pos[0]); err != nil {
		return "", err
	}
	return pos[0], nil
}
