package webhook_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/webhook"
)

// REQ-WH-06: endpoint URLs on internal addresses are refused when created,
// whether written as an address or as a name that resolves to one.
func TestCheckURLRefusesInternalDestinations_REQ_WH_06(t *testing.T) {
	resolve := func(_ context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "rebind.example":
			return []netip.Addr{netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("10.0.0.5")}, nil
		case "metadata.example":
			return []netip.Addr{netip.MustParseAddr("169.254.169.254")}, nil
		case "hooks.example":
			return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
		}
		return nil, errors.New("no such host")
	}
	refused := []string{
		"http://127.0.0.1/hook", "http://127.1.2.3:8080/", "http://[::1]/", "http://0.0.0.0/", "http://10.1.2.3/",
		"http://172.16.0.1/", "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data", "http://[fe80::1]/",
		"http://[fd00::1]/", "http://[::ffff:127.0.0.1]/", "http://[64:ff9b::a9fe:a9fe]/", "http://[2002:7f00:1::]/",
		"http://100.64.0.1/", "http://localhost:3000/", "http://app.localhost/", "http://rebind.example/",
		"http://metadata.example/", "ftp://hooks.example/", "hooks.example/x", "https://user:pw@hooks.example/",
		"http://224.0.0.1/", "http://255.255.255.255/",
	}
	for _, raw := range refused {
		if _, err := webhook.CheckURL(t.Context(), raw, false, resolve); err == nil {
			t.Errorf("CheckURL(%q) accepted", raw)
		}
	}
	for _, raw := range []string{"https://hooks.example/clerk", "https://93.184.216.34/x", "https://unresolvable.example/"} {
		if _, err := webhook.CheckURL(t.Context(), raw, false, resolve); err != nil {
			t.Errorf("CheckURL(%q) = %v", raw, err)
		}
	}
	if _, err := webhook.CheckURL(t.Context(), "http://127.0.0.1:9/", true, resolve); err != nil {
		t.Errorf("with private destinations allowed: %v", err)
	}
}

// REQ-WH-06: the address is checked again when connecting, so a URL that
// resolved to a public address when it was saved and to an internal one
// later (DNS rebinding) is still refused; the receiver gets nothing.
func TestInternalAddressIsRefusedAtConnectTime_REQ_WH_06(t *testing.T) {
	engines(t, func(t *testing.T, h *harness) {
		for _, url := range []string{h.rcv.URL(), strings.Replace(h.rcv.URL(), "127.0.0.1", "localhost", 1)} {
			// Written straight to the store: the create-time check passed
			// when the name still resolved elsewhere.
			ep := h.endpointAt(url)
			ev := h.emit("user.created", "user_"+ep.ID, nil)
			w := h.worker()
			w.Client = webhook.NewHTTPClient(false)
			h.run(w)
			if n := len(h.rcv.requests()); n != 0 {
				t.Fatalf("%s: the receiver got %d requests", url, n)
			}
			d := h.delivery(ep.ID, ev.ID)
			if d.Status != webhook.Pending || d.LastStatusCode != 0 || !strings.Contains(d.LastError, "internal") {
				t.Errorf("%s: delivery = %+v, want a refused attempt", url, d)
			}
			if err := h.svc.Delete(t.Context(), ep.ID); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestBlockedCoversTheSpecialRanges(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": false, "2606:4700::1111": false, "127.0.0.1": true, "::": true, "::ffff:10.0.0.1": true,
		"198.18.0.1": true, "192.0.0.8": true, "240.0.0.1": true, "ff02::1": true, "64:ff9b::808:808": false,
	} {
		if got := webhook.Blocked(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Blocked(%s) = %v, want %v", addr, got, want)
		}
	}
}

// REQ-WH-06: IPv6 addresses that a translator or tunnel on the portal's own
// network turns into IPv4 ones (local-use NAT64, SIIT, IPv4-compatible,
// Teredo) and the other special-purpose ranges IANA marks as not globally
// reachable are internal destinations too, written as an address or
// resolved from a name; public addresses of both families still pass.
func TestTranslatedAndSpecialPurposeAddressesAreInternal_REQ_WH_06(t *testing.T) {
	internal := []string{
		"64:ff9b:1::a9fe:a9fe",                 // local-use NAT64 /96 → 169.254.169.254
		"64:ff9b:1:a9fe:a9:fe00::",             // local-use NAT64 /48 → 169.254.169.254
		"::ffff:0:7f00:1",                      // SIIT → 127.0.0.1
		"::ffff:0:a00:5",                       // SIIT → 10.0.0.5
		"::7f00:1",                             // IPv4-compatible 127.0.0.1
		"::a9fe:a9fe",                          // IPv4-compatible 169.254.169.254
		"2001:0:4136:e378:8000:63bf:80ff:fffe", // Teredo
		"2001:2::1", "2001:20::1", "3fff::1", "fec0::1", "5f00::1", "192.88.99.1",
	}
	for _, s := range internal {
		a := netip.MustParseAddr(s)
		if !webhook.Blocked(a) {
			t.Errorf("Blocked(%s) = false", s)
		}
		literal := s
		if a.Is6() {
			literal = "[" + s + "]"
		}
		resolve := func(context.Context, string) ([]netip.Addr, error) { return []netip.Addr{a}, nil }
		for _, host := range []string{literal, "hooks.example"} {
			if _, err := webhook.CheckURL(t.Context(), "http://"+host+"/hook", false, resolve); err == nil {
				t.Errorf("CheckURL accepted http://%s/hook (%s)", host, s)
			}
		}
	}
	for _, s := range []string{"93.184.216.34", "2606:4700:4700::1111", "2a00:1450:4001:80e::200e", "64:ff9b::5db8:d822"} {
		if webhook.Blocked(netip.MustParseAddr(s)) {
			t.Errorf("Blocked(%s) = true: a public address", s)
		}
	}
}
