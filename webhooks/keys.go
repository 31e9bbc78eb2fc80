package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"
)

// secretKeys turns a source's configured secrets into HMAC keys by the
// kind's own rule (keysOf may give several keys for one secret, as Polar's
// two signing schemes do), and a zero tolerance into the kind's default.
// Errors name a secret by its index, never its value: they end up in
// startup logs.
func secretKeys(kind string, secrets []string, tolerance, defaultTolerance time.Duration,
	keysOf func(secret string) ([][]byte, error)) ([][]byte, time.Duration, error) {
	if len(secrets) == 0 {
		return nil, 0, fmt.Errorf("%s: no secrets configured", kind)
	}
	if tolerance < 0 {
		return nil, 0, fmt.Errorf("%s: negative tolerance %s", kind, tolerance)
	}
	if tolerance == 0 {
		tolerance = defaultTolerance
	}
	var keys [][]byte
	for i, secret := range secrets {
		k, err := keysOf(secret)
		if err != nil {
			return nil, 0, fmt.Errorf("%s: secret %d: %w", kind, i, err)
		}
		keys = append(keys, k...)
	}
	return keys, tolerance, nil
}

// rawKey is the rule of the providers that key the HMAC with the secret
// string's own bytes.
func rawKey(minLen int) func(string) ([][]byte, error) {
	return func(secret string) ([][]byte, error) {
		switch {
		case strings.TrimSpace(secret) != secret:
			// Almost always a copy-paste slip (a trailing newline from a
			// secrets file); the key would never match, silently.
			return nil, errors.New("has surrounding whitespace")
		case len(secret) < minLen:
			return nil, fmt.Errorf("is %d bytes, want at least %d", len(secret), minLen)
		}
		return [][]byte{[]byte(secret)}, nil
	}
}

// hmacSHA256 is HMAC-SHA256 under key of the parts, one after another:
// every kind signs some arrangement of id, timestamp, separator and body.
func hmacSHA256(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}
