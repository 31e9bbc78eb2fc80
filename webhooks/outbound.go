package webhooks

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ErrPrivateAddress marks a destination that outbound delivery refuses
// unless private networks are allowed, so that a subscriber URL cannot be
// used to reach seatsync's own network or a cloud metadata service.
//
// Its message names the setting that allows such destinations, so that
// both a refused registration and a refused delivery attempt say how to
// allow them.
var ErrPrivateAddress = errors.New("destination is a loopback, private or link-local address " +
	"(set SEATSYNC_OUTBOUND_ALLOW_PRIVATE_NETWORKS=true to allow it)")

// maxEndpointURLLen keeps a URL usable as a column value and a log field.
const maxEndpointURLLen = 2048

// endpointKeyLen is the HMAC key size of a fresh endpoint secret: the output
// size of SHA-256, beyond which a longer key adds nothing.
const endpointKeyLen = 32

// SignOutbound signs one message with every given "whsec_" secret (the current
// one and, during a rotation's grace period, the previous one) and returns the
// webhook-signature header value: "v1,<base64> v1,<base64>" (space-separated).
func SignOutbound(secrets []string, msgID string, ts time.Time, body []byte) (string, error) {
	if len(secrets) == 0 {
		return "", errors.New("sign outbound webhook: no secrets")
	}
	sigs := make([]string, len(secrets))
	for i, secret := range secrets {
		sig, err := SignStandard(secret, msgID, ts, body)
		if err != nil {
			return "", fmt.Errorf("secret %d: %w", i, err)
		}
		sigs[i] = sig
	}
	return strings.Join(sigs, " "), nil
}

// NewEndpointSecret makes a fresh "whsec_" secret with 32 random bytes.
func NewEndpointSecret() (string, error) {
	key := make([]byte, endpointKeyLen)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("new endpoint secret: %w", err)
	}
	return secretPrefix + base64.StdEncoding.EncodeToString(key), nil
}

// CheckEndpointURL validates a subscriber URL at registration: absolute http
// or https, a host, no user info, no fragment, at most 2048 bytes; and, unless
// allowPrivate, a host that is not a literal loopback/private/link-local/
// unspecified IP and not "localhost" (errors then wrap [ErrPrivateAddress]).
// The real guard is the sender's, at connect time, because a name can resolve
// anywhere; this one gives the subscriber a clear 400 early.
func CheckEndpointURL(raw string, allowPrivate bool) error {
	if raw == "" {
		return errors.New("url is required")
	}
	if len(raw) > maxEndpointURLLen {
		return fmt.Errorf("url is %d bytes, limit %d", len(raw), maxEndpointURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error quotes the whole URL, which can be 2 KiB of anything.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("url does not parse: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("url scheme %q is not http or https", clip(u.Scheme))
	case u.Opaque != "":
		return errors.New("url is not hierarchical (want scheme://host/path)")
	case u.User != nil:
		return errors.New("url must not carry user info")
	case strings.Contains(raw, "#"):
		// Checked on the raw text: url.URL cannot tell "x#" from "x".
		return errors.New("url must not have a fragment")
	case u.Hostname() == "":
		return errors.New("url has no host")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("url port %q is out of range", clip(port))
		}
	}
	host := u.Hostname()
	addr, err := netip.ParseAddr(host)
	if err != nil {
		// A name whose last label starts with a digit is no DNS name (no
		// top-level domain does) but an IPv4 address in a legacy form such
		// as 127.1, 0x7f.1 or 2130706433, which some resolvers expand:
		// refuse it rather than guess what it will reach.
		labels := strings.Split(strings.TrimSuffix(host, "."), ".")
		if last := labels[len(labels)-1]; last != "" && last[0] >= '0' && last[0] <= '9' {
			return fmt.Errorf("url host %q is not a canonical IP address or a DNS name", clip(host))
		}
	}
	if allowPrivate {
		return nil
	}
	if err == nil {
		if blockedAddr(addr) {
			return fmt.Errorf("url host %s: %w", addr, ErrPrivateAddress)
		}
		return nil
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	// RFC 6761 reserves every name under localhost for loopback.
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return fmt.Errorf("url host %q: %w", clip(host), ErrPrivateAddress)
	}
	return nil
}

var (
	cgnatPrefix   = netip.MustParsePrefix("100.64.0.0/10") // RFC 6598 carrier-grade NAT
	thisNetPrefix = netip.MustParsePrefix("0.0.0.0/8")     // RFC 1122 "this network"; Linux routes 0.0.0.0 to the host itself
	nat64Prefix   = netip.MustParsePrefix("64:ff9b::/96")  // RFC 6052: a NAT64 gateway forwards to the embedded IPv4 address
	broadcastIPv4 = netip.MustParseAddr("255.255.255.255")
)

// blockedAddr reports whether outbound delivery must not connect to a. It
// looks through IPv4-mapped (::ffff:a.b.c.d) and NAT64 forms, which reach the
// embedded IPv4 address.
func blockedAddr(a netip.Addr) bool {
	a = a.WithZone("").Unmap()
	if nat64Prefix.Contains(a) {
		b := a.As16()
		a = netip.AddrFrom4([4]byte(b[12:]))
	}
	return !a.IsValid() ||
		a.IsLoopback() ||
		a.IsPrivate() ||
		a.IsLinkLocalUnicast() || // includes 169.254.169.254, the cloud metadata service
		a.IsMulticast() ||
		a.IsUnspecified() ||
		cgnatPrefix.Contains(a) ||
		thisNetPrefix.Contains(a) ||
		a == broadcastIPv4
}
