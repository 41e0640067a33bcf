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

// Family names the kind of browser and system a User-Agent header says it
// is ("Firefox", "Windows"), without versions, or "" for either when it is
// not one of the common kinds below. The names are the products' own, the
// same in every language.
//
// Only these names ever come out: a User-Agent is whatever the client
// chose to send, and the parser falls back to repeating its words, so a
// name that is not one of ours would put a stranger's text in front of
// the account's owner (an email that says "a sign-in from Call-our-
// support-at-…"). An unknown kind is said to be unknown instead.
func Family(userAgent string) (browser, os string) {
	ua := useragent.Parse(userAgent)
	if !ua.Bot || ua.Name == useragent.HeadlessChrome {
		browser = browserFamilies[ua.Name]
	}
	return browser, osFamilies[ua.OS]
}

// browserFamilies maps the parser's names to the ones people know.
var browserFamilies = map[string]string{
	useragent.Chrome:           "Chrome",
	"Chromium":                 "Chromium",
	useragent.HeadlessChrome:   "Headless Chrome", // a script driving a browser
	useragent.Firefox:          "Firefox",
	useragent.Safari:           "Safari",
	useragent.MobileSafari:     "Safari",
	useragent.Edge:             "Edge",
	useragent.Opera:            "Opera",
	useragent.OperaMini:        "Opera",
	useragent.OperaTouch:       "Opera",
	useragent.Vivaldi:          "Vivaldi",
	useragent.SamsungBrowser:   "Samsung Internet",
	useragent.InternetExplorer: "Internet Explorer",
	"Trident":                  "Internet Explorer", // 11 no longer says MSIE
	"YaBrowser":                "Yandex Browser",
	"Brave":                    "Brave",
	"DuckDuckGo":               "DuckDuckGo",
}

// osFamilies maps the parser's systems to the ones people know.
var osFamilies = map[string]string{
	useragent.Windows:      "Windows",
	useragent.WindowsPhone: "Windows Phone",
	useragent.MacOS:        "macOS",
	useragent.IOS:          "iOS",
	useragent.Android:      "Android",
	useragent.Linux:        "Linux",
	useragent.ChromeOS:     "ChromeOS",
	useragent.FreeBSD:      "FreeBSD",
	useragent.Harmony:      "HarmonyOS",
}
