package config

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

const (
	sourcePrefix    = "SEATSYNC_SOURCE_"
	suffixKind      = "_KIND"
	suffixSecrets   = "_SECRETS"
	suffixTolerance = "_TOLERANCE"

	// kindStandard is Standard Webhooks (webhook-id/-timestamp/-signature,
	// HMAC-SHA256, "whsec_" secrets).
	kindStandard = "standard"

	// whsecPrefix and the minimum length follow the Standard Webhooks spec;
	// a shorter key would make the HMAC guessable.
	whsecPrefix    = "whsec_"
	minSecretBytes = 16

	minTolerance = time.Second
	maxTolerance = time.Hour
)

var (
	// The provider kinds take their secrets as the providers hand them out;
	// only the standard kind's format can be checked here.
	supportedKinds = []string{kindStandard, "stripe", "paddle", "polar", "workos", "okta"}
	envNameRE      = regexp.MustCompile(`^[A-Z0-9_]+$`)
	sourceNameRE   = regexp.MustCompile(`^[a-z0-9_]+$`)
)

// sourceVar names the variable behind a field of the named source, so that
// Validate can point at the variable even for a hand-built Source.
func sourceVar(name, suffix string) string {
	return sourcePrefix + strings.ToUpper(name) + suffix
}

// parseSources collects SEATSYNC_SOURCE_<NAME>_* variables, keys sorted, into
// Sources sorted by name. The _KIND variable is what declares a source; the
// others without it are reported, because that is how a misspelt name shows.
func parseSources(env map[string]string, keys []string) ([]Source, []error) {
	type fields struct{ kind, secrets, tolerance string }
	byName := make(map[string]*fields)
	var names []string // in key order, hence sorted
	var errs []error
	for _, k := range keys {
		rest, ok := strings.CutPrefix(k, sourcePrefix)
		if !ok {
			continue
		}
		var name string
		var dst func(*fields) *string
		switch {
		case strings.HasSuffix(rest, suffixKind):
			name, dst = strings.TrimSuffix(rest, suffixKind), func(f *fields) *string { return &f.kind }
		case strings.HasSuffix(rest, suffixSecrets):
			name, dst = strings.TrimSuffix(rest, suffixSecrets), func(f *fields) *string { return &f.secrets }
		case strings.HasSuffix(rest, suffixTolerance):
			name, dst = strings.TrimSuffix(rest, suffixTolerance), func(f *fields) *string { return &f.tolerance }
		default:
			errs = append(errs, fmt.Errorf("%s: unknown variable (a source has %s<NAME>%s, %s and %s)",
				k, sourcePrefix, suffixKind, suffixSecrets, suffixTolerance))
			continue
		}
		if !envNameRE.MatchString(name) {
			errs = append(errs, fmt.Errorf("%s: source name %q must match [A-Z0-9_]+", k, name))
			continue
		}
		f, seen := byName[name]
		if !seen {
			f = new(fields)
			byName[name] = f
			names = append(names, name)
		}
		*dst(f) = env[k]
	}

	var sources []Source
	for _, upper := range names {
		f := byName[upper]
		name := strings.ToLower(upper)
		if f.kind == "" {
			for _, k := range []string{sourceVar(name, suffixSecrets), sourceVar(name, suffixTolerance)} {
				if env[k] != "" {
					errs = append(errs, fmt.Errorf("%s: set without %s, so there is no source %q",
						k, sourceVar(name, suffixKind), name))
				}
			}
			continue
		}
		s := Source{Name: name, Kind: f.kind}
		if f.secrets != "" {
			for sec := range strings.SplitSeq(f.secrets, ",") {
				s.Secrets = append(s.Secrets, strings.TrimSpace(sec))
			}
		}
		if f.tolerance != "" {
			d, err := parseDuration(f.tolerance)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", sourceVar(name, suffixTolerance), err))
			} else {
				s.Tolerance = d
			}
		}
		sources = append(sources, s)
	}
	return sources, errs
}

// problems never quotes a secret: error messages end up in logs and terminals.
func (s Source) problems() []error {
	var errs []error
	if !sourceNameRE.MatchString(s.Name) {
		errs = append(errs, fmt.Errorf("source %q: name must match [a-z0-9_]+", s.Name))
	}
	if !slices.Contains(supportedKinds, s.Kind) {
		errs = append(errs, fmt.Errorf("%s: %q is not a supported kind (supported: %s)",
			sourceVar(s.Name, suffixKind), s.Kind, strings.Join(supportedKinds, ", ")))
	}

	secretsVar := sourceVar(s.Name, suffixSecrets)
	if len(s.Secrets) == 0 {
		errs = append(errs, fmt.Errorf("%s: not set; source %q needs at least one secret", secretsVar, s.Name))
	}
	for i, sec := range s.Secrets {
		switch {
		case sec == "":
			errs = append(errs, fmt.Errorf("%s: secret %d of %d is empty", secretsVar, i+1, len(s.Secrets)))
		case s.Kind == kindStandard && !validWhsec(sec):
			errs = append(errs, fmt.Errorf("%s: secret %d of %d is not %q followed by standard base64 of at least %d bytes",
				secretsVar, i+1, len(s.Secrets), whsecPrefix, minSecretBytes))
		}
	}

	if s.Tolerance != 0 && (s.Tolerance < minTolerance || s.Tolerance > maxTolerance) {
		errs = append(errs, fmt.Errorf("%s: %v is out of range (%v..%v)",
			sourceVar(s.Name, suffixTolerance), s.Tolerance, minTolerance, maxTolerance))
	}
	return errs
}

func validWhsec(secret string) bool {
	b64, ok := strings.CutPrefix(secret, whsecPrefix)
	if !ok {
		return false
	}
	key, err := base64.StdEncoding.DecodeString(b64)
	return err == nil && len(key) >= minSecretBytes
}
