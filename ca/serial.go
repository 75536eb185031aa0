package ca

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// serialLen is the serial number size in bytes (RFC 5280 §4.1.2.2: at most
// 20 octets); the top bit is cleared so the DER INTEGER stays positive and
// 20 octets long at most, leaving 159 random bits (BR §7.1: ≥ 64).
const serialLen = 20

// maxSerialAttempts bounds how many serials Issue draws when the store
// reports a collision.
const maxSerialAttempts = 3

// SerialHex formats a serial number the way kakuin stores and looks it up:
// lower-case hex, zero-padded to 40 digits (20 bytes).
func SerialHex(serial *big.Int) string {
	if serial.Sign() < 0 || serial.BitLen() > 8*serialLen {
		return fmt.Sprintf("%040x", serial)
	}
	// Without fmt: the OCSP responder formats a serial per request.
	var b [serialLen]byte
	return hex.EncodeToString(serial.FillBytes(b[:]))
}

// randomSerial draws a positive, non-zero serial below 2^159.
func randomSerial() (*big.Int, error) {
	b := make([]byte, serialLen)
	for {
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("ca: drawing serial: %w", err)
		}
		b[0] &= 0x7f
		if n := new(big.Int).SetBytes(b); n.Sign() > 0 {
			return n, nil
		}
	}
}

// reserveSerial draws serials until the store accepts one, so a serial is
// on record before anything is signed with it.
func reserveSerial(ctx context.Context, store Store, issuerID string, at time.Time) (*big.Int, error) {
	for range maxSerialAttempts {
		serial, err := randomSerial()
		if err != nil {
			return nil, err
		}
		err = store.ReserveSerial(ctx, SerialHex(serial), issuerID, at)
		if err == nil {
			return serial, nil
		}
		if !errors.Is(err, ErrSerialExists) {
			return nil, fmt.Errorf("ca: reserving serial: %w", err)
		}
	}
	return nil, fmt.Errorf("ca: reserving serial: %d draws collided: %w", maxSerialAttempts, ErrSerialExists)
}
