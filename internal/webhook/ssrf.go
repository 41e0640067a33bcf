package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/portalhq/portal/internal/apperr"
)

// blockedPrefixes are the ranges netip does not classify that no webhook
// may reach unless the instance allows private destinations (REQ-WH-06).
func blockedPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, p := range []string{
		"0.0.0.0/8",       // "this network"
		"100.64.0.0/10",   // carrier-grade NAT
		"192.0.0.0/24",    // IETF protocol assignments
		"192.0.2.0/24",    // documentation
		"198.18.0.0/15",   // benchmarking
		"198.51.100.0/24", // documentation
		"203.0.113.0/24",  // documentation
		"240.0.0.0/4",     // reserved, broadcast
		"192.88.99.0/24",  // 6to4 relay anycast (deprecated)
		"2001:db8::/32",   // documentation
		"3fff::/20",       // documentation
		"100::/64",        // discard
		// IPv6 ranges that reach IPv4 through a translator or tunnel the
		// portal's network may run, whose embedded IPv4 address is not
		// where the block below (64:ff9b::/96, 2002::/16) looks for it:
		// refused whole, as no public receiver lives there.
		"64:ff9b:1::/48",  // local-use NAT64 (RFC 8215), any prefix length
		"::ffff:0:0:0/96", // IPv4-translated (SIIT, RFC 7915)
		"::/96",           // IPv4-compatible (deprecated, RFC 4291)
		"2001::/32",       // Teredo
		"2001:2::/48",     // benchmarking
		"2001:10::/28",    // ORCHID (deprecated)
		"2001:20::/28",    // ORCHIDv2
		"fec0::/10",       // site-local (deprecated, still routed inside some networks)
		"5f00::/16",       // SRv6 segment identifiers (RFC 9602)
	} {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}

// Blocked reports whether a is loopback, private, link-local, multicast,
// unspecified or otherwise not a public unicast address. IPv4 embedded in
// IPv6 (mapped, NAT64, 6to4) is judged by the IPv4 address it carries.
func Blocked(a netip.Addr) bool {
	a = a.Unmap()
	if a.Is6() {
		b := a.As16()
		switch {
		case netip.MustParsePrefix("64:ff9b::/96").Contains(a):
			return Blocked(netip.AddrFrom4([4]byte(b[12:16])))
		case netip.MustParsePrefix("2002::/16").Contains(a):
			return Blocked(netip.AddrFrom4([4]byte(b[2:6])))
		}
	}
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return true
	}
	for _, p := range blockedPrefixes() {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Resolver finds the addresses of a host name.
type Resolver func(ctx context.Context, host string) ([]netip.Addr, error)

// DefaultResolver asks the system resolver.
func DefaultResolver(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

func badURL(msg string) error { return apperr.Field(apperr.Invalid, "url", msg) }

// allowPrivateHint ends each refusal of an internal destination with the
// setting that allows one, for the developer whose receiver runs on their
// own machine: without it they meet the refusal and no way past it.
const allowPrivateHint = " To send webhooks to a receiver on this machine or your network (development, tests), " +
	"start the portal with PORTAL_WEBHOOK_ALLOW_PRIVATE=true."

// CheckURL refuses endpoint URLs a webhook must not be sent to: anything but
// absolute http(s) without credentials, and, unless allowPrivate, hosts that
// are or resolve to internal addresses. Connecting checks again (Dialer), so
// a name that resolves elsewhere later (DNS rebinding) is still refused; this
// check is there to tell the person at once. A name that does not resolve
// yet is accepted.
func CheckURL(ctx context.Context, raw string, allowPrivate bool, resolve Resolver) (*url.URL, error) {
	if len(raw) > 2048 {
		return nil, badURL("The URL is too long.")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Opaque != "" {
		return nil, badURL("Enter an absolute http:// or https:// URL.")
	}
	if u.User != nil {
		return nil, badURL("The URL must not contain a user name or password.")
	}
	if u.Fragment != "" {
		return nil, badURL("The URL must not contain a fragment (#…).")
	}
	if allowPrivate {
		return u, nil
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		if Blocked(a) {
			return nil, badURL("Webhooks can't be sent to loopback, private or link-local addresses." + allowPrivateHint)
		}
		return u, nil
	}
	if h := strings.ToLower(strings.TrimSuffix(host, ".")); h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return nil, badURL("Webhooks can't be sent to localhost." + allowPrivateHint)
	}
	if resolve == nil {
		resolve = DefaultResolver
	}
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := resolve(rctx, host)
	if err != nil {
		return u, nil
	}
	for _, a := range addrs {
		if Blocked(a) {
			return nil, badURL(fmt.Sprintf("%s resolves to an internal address; webhooks can't be sent there.", host) + allowPrivateHint)
		}
	}
	return u, nil
}

var errBlockedAddr = errors.New("webhook: destination address is internal (set PORTAL_WEBHOOK_ALLOW_PRIVATE=true to allow it)")

// Dialer returns a dialer that refuses, at connect time, every address
// Blocked reports, unless allowPrivate. It judges the address actually
// dialled, after resolution, so no name can smuggle an internal address in.
func Dialer(allowPrivate bool) *net.Dialer {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || Blocked(ap.Addr()) {
				return errBlockedAddr
			}
			return nil
		}
	}
	return d
}

// NewHTTPClient is the client deliveries are sent with: no proxy (a proxy
// would be dialled instead of the endpoint and defeat the address check),
// no redirects followed (a 3xx is a failed attempt, REQ-WH-05), and the
// connect-time address check.
func NewHTTPClient(allowPrivate bool) *http.Client {
	t := &http.Transport{
		Proxy:                 nil,
		DialContext:           Dialer(allowPrivate).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: AttemptTimeout,
	}
	return &http.Client{
		Transport:     t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
