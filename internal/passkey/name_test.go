package passkey

import (
	"testing"

	"github.com/google/uuid"
)

func TestNameFor(t *testing.T) {
	gpm := uuid.MustParse("ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4")
	zero := make([]byte, 16)
	for _, tc := range []struct {
		aaguid []byte
		ua     string
		want   string
	}{
		{gpm[:], "anything", "Google Password Manager"},
		{zero, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Chrome on Linux"},
		{zero, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", "Edge on Windows"},
		{zero, "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari on macOS"},
		{zero, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0 Mobile/15E148 Safari/604.1", "Chrome on iPhone"},
		{zero, "Mozilla/5.0 (Android 14; Mobile; rv:127.0) Gecko/127.0 Firefox/127.0", "Firefox on Android"},
		{zero, "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36", "Samsung Internet on Android"},
		{zero, "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Chrome on ChromeOS"},
		{zero, "curl/8.5.0", "Passkey"},
		{nil, "", "Passkey"},
	} {
		if got := nameFor(tc.aaguid, tc.ua); got != tc.want {
			t.Errorf("nameFor(%x, %q) = %q, want %q", tc.aaguid, tc.ua, got, tc.want)
		}
	}
}

func TestUniqueName(t *testing.T) {
	existing := []Credential{{Name: "Chrome on Linux"}, {Name: "chrome on linux 2"}}
	if got := uniqueName("Chrome on Linux", existing); got != "Chrome on Linux 3" {
		t.Errorf("got %q", got)
	}
	if got := uniqueName("Safari on macOS", existing); got != "Safari on macOS" {
		t.Errorf("got %q", got)
	}
}
