package ca

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Modes of what the CA writes: private keys and their directory are
// readable by the owner only.
const (
	dirMode  fs.FileMode = 0o700
	keyMode  fs.FileMode = 0o600
	certMode fs.FileMode = 0o644
)

// ensureDir creates dir with mode 0700, or tightens an existing one to it.
func ensureDir(dir string) error {
	if dir == "" {
		return errors.New("ca: no directory given")
	}
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("ca: creating %s: %w", dir, err)
	}
	if err := os.Chmod(dir, dirMode); err != nil {
		return fmt.Errorf("ca: restricting %s: %w", dir, err)
	}
	return nil
}

// writeTemp writes data to a new temporary file next to path, flushed to
// disk with the given mode, and returns its name.
func writeTemp(path string, data []byte, mode fs.FileMode) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return "", fmt.Errorf("ca: writing %s: %w", path, err)
	}
	tmp := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(tmp)
		return "", fmt.Errorf("ca: writing %s: %w", path, err)
	}
	if err := f.Chmod(mode); err != nil {
		return fail(err)
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("ca: writing %s: %w", path, err)
	}
	return tmp, nil
}

// createFile writes path atomically and never replaces an existing file:
// the data goes to a temporary file which is then hard-linked into place
// (link fails if path exists), so path is either absent or complete.
func createFile(path string, data []byte, mode fs.FileMode) error {
	tmp, err := writeTemp(path, data, mode)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s exists", ErrAlreadyInitialized, path)
		}
		return fmt.Errorf("ca: writing %s: %w", path, err)
	}
	return nil
}

// replaceFile writes path atomically, replacing any previous version.
func replaceFile(path string, data []byte, mode fs.FileMode) error {
	tmp, err := writeTemp(path, data, mode)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("ca: writing %s: %w", path, err)
	}
	return nil
}

// readKeyFile reads a private key file, refusing one that group or others
// may read or write: a CA key must be readable by its owner only.
func readKeyFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	if err := checkKeyMode(path, fi); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	return data, nil
}

// checkKeyMode refuses anything but a regular file closed to group and others.
func checkKeyMode(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("ca: key file %s is not a regular file", path)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("ca: key file %s has mode %04o, open to group or others; run chmod 600 %s", path, perm, path)
	}
	return nil
}

// ReadIssuerCertificates reads the issuing CA certificates (not their
// keys) from a CA directory Init wrote, by issuer id: what a responder
// that signs nothing needs to recognise a request's issuer.
func ReadIssuerCertificates(dir string) (map[string]*x509.Certificate, error) {
	out := map[string]*x509.Certificate{}
	for _, p := range issuerProfiles {
		id := profiles[p].issuerID
		path := filepath.Join(dir, id+".pem")
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("ca: %w", err)
		}
		cert, err := parseCertPEM(data)
		if err != nil {
			return nil, fmt.Errorf("ca: %s: %w", path, err)
		}
		out[id] = cert
	}
	return out, nil
}
