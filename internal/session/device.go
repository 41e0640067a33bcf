package session

import (
	"strings"

	"github.com/mileusna/useragent"
)

// Device is what a person recognises a session by on their account page.
type Device struct {
	Browser string // "Chrome 126", "Firefox", or "Unknown browser"
	OS      string // "macOS 14.5", "Android", or ""
	Kind    string // "desktop", "mobile", "tablet" or "" when unknown
}

// ParseDevice reads a User-Agent header. Only the major version is kept:
// the full build number says nothing more to a person.
func ParseDevice(userAgent string) Device {
	ua := useragent.Parse(userAgent)
	d := Device{Browser: ua.Name, OS: ua.OS}
	if d.Browser == "" {
		d.Browser = "Unknown browser"
	} else if v := major(ua.Version); v != "" {
		d.Browser += " " + v
	}
	if d.OS != "" && ua.OSVersion != "" && d.OS != useragent.Linux {
		d.OS += " " + ua.OSVersion
	}
	switch {
	case ua.Tablet:
		d.Kind = "tablet"
	case ua.Mobile:
		d.Kind = "mobile"
	case ua.Desktop:
		d.Kind = "desktop"
	}
	return d
}

func major(v string) string {
	v, _, _ = strings.Cut(v, ".")
	return v
}
