package newdevice

import (
	"testing"

	"github.com/portalhq/portal/internal/session"
)

const (
	firefoxWin = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
	firefoxNew = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0"
	chromeWin  = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
	firefoxMac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0"
)

// The rule behind a browser without its cookie chain: the same kind of
// browser on the same kind of system (versions aside) from the same
// network; a kind the portal does not know never matches.
func TestSameKind(t *testing.T) {
	s := func(ua, ip string) session.Session { return session.Session{UserAgent: ua, IP: ip} }
	cases := []struct {
		name string
		a, b session.Session
		want bool
	}{
		{"same browser, updated, same network", s(firefoxWin, "198.51.100.7"), s(firefoxNew, "198.51.3.200"), true},
		{"same browser, IPv6 in the same /48", s(firefoxWin, "2001:db8:aa:1::5"), s(firefoxWin, "2001:db8:aa:ff::9"), true},
		{"IPv4 written as IPv6", s(firefoxWin, "::ffff:198.51.100.7"), s(firefoxWin, "198.51.0.1"), true},
		{"another network", s(firefoxWin, "198.51.100.7"), s(firefoxWin, "203.0.113.7"), false},
		{"another IPv6 /48", s(firefoxWin, "2001:db8:aa::5"), s(firefoxWin, "2001:db8:ab::5"), false},
		{"another browser", s(firefoxWin, "198.51.100.7"), s(chromeWin, "198.51.100.7"), false},
		{"another system", s(firefoxWin, "198.51.100.7"), s(firefoxMac, "198.51.100.7"), false},
		{"unknown browsers", s("curl/8.5.0", "198.51.100.7"), s("curl/8.5.0", "198.51.100.7"), false},
		{"no address", s(firefoxWin, ""), s(firefoxWin, ""), false},
	}
	for _, c := range cases {
		if got := SameKind(c.a, c.b); got != c.want {
			t.Errorf("%s: SameKind = %v, want %v", c.name, got, c.want)
		}
	}
}
