package session

import "testing"

func TestParseDevice(t *testing.T) {
	cases := []struct {
		ua   string
		want Device
	}{
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.127 Safari/537.36",
			Device{Browser: "Chrome 126", OS: "macOS 10.15.7", Kind: "desktop"}},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
			Device{Browser: "Safari 17", OS: "iOS 17.5", Kind: "mobile"}},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
			Device{Browser: "Firefox 127", OS: "Linux", Kind: "desktop"}},
		{"Go-http-client/1.1", Device{Browser: "Go-http-client 1"}},
		{"", Device{Browser: "Unknown browser"}},
	}
	for _, c := range cases {
		if got := ParseDevice(c.ua); got != c.want {
			t.Errorf("ParseDevice(%q) = %+v, want %+v", c.ua, got, c.want)
		}
	}
}
