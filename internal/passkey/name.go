package passkey

import (
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// providers names a few well-known passkey providers by AAGUID, the model ID
// the authenticator reports. Many report zeros (security keys with attestation
// "none", some browsers); those are named from the browser instead.
var providers = map[uuid.UUID]string{
	uuid.MustParse("fbfc3007-154e-4ecc-8c0b-6e020557d7bd"): "iCloud Keychain",
	uuid.MustParse("dd4ec289-e01d-41c9-bb89-70fa845d4bf2"): "iCloud Keychain",
	uuid.MustParse("ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4"): "Google Password Manager",
	uuid.MustParse("adce0002-35bc-c60a-648b-0b25f1f05503"): "Chrome on Mac",
	uuid.MustParse("771b48fd-d3d4-4f74-9232-fc157ab0507a"): "Edge on Mac",
	uuid.MustParse("08987058-cadc-4b81-b6e1-30de50dcbe96"): "Windows Hello",
	uuid.MustParse("9ddd1817-af5a-4672-a2b9-3e3dd95000a9"): "Windows Hello",
	uuid.MustParse("6028b017-b1d4-4c02-b4b3-afcdafc96bb2"): "Windows Hello",
	uuid.MustParse("bada5566-a7aa-401f-bd96-45619a55120d"): "1Password",
	uuid.MustParse("d548826e-79b4-db40-a3d8-11116f7e8349"): "Bitwarden",
	uuid.MustParse("531126d6-e717-415c-9320-3d9aa6981239"): "Dashlane",
	uuid.MustParse("53414d53-554e-4700-0000-000000000000"): "Samsung Pass",
	uuid.MustParse("50726f74-6f6e-5061-7373-50726f746f6e"): "Proton Pass",
}

// nameFor names a new passkey after its provider when the AAGUID is known,
// else after the browser and system that created it ("Chrome on Linux").
func nameFor(aaguid []byte, userAgent string) string {
	if u, err := uuid.FromBytes(aaguid); err == nil {
		if name, ok := providers[u]; ok {
			return name
		}
	}
	browser, system := parseUserAgent(userAgent)
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return system
	}
	return "Passkey"
}

// uniqueName appends a number when the user already has a passkey of that
// name, so two phones with the same browser can be told apart in the list.
func uniqueName(name string, existing []Credential) string {
	taken := make(map[string]bool, len(existing))
	for _, c := range existing {
		taken[strings.ToLower(c.Name)] = true
	}
	candidate := name
	for n := 2; taken[strings.ToLower(candidate)]; n++ {
		candidate = fmt.Sprintf("%s %d", name, n)
	}
	return candidate
}

// uaToken maps a User-Agent token to a name; the first match wins, so tokens
// that other browsers copy (Chrome's, Safari's) come last.
type uaToken struct{ token, name string }

var browsers = []uaToken{
	{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"},
	{"OPR/", "Opera"}, {"OPT/", "Opera"},
	{"SamsungBrowser/", "Samsung Internet"},
	{"Vivaldi/", "Vivaldi"},
	{"YaBrowser/", "Yandex Browser"},
	{"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"},
	{"CriOS/", "Chrome"}, {"Chromium/", "Chromium"}, {"Chrome/", "Chrome"},
	{"Safari/", "Safari"},
}

var systems = []uaToken{
	{"iPhone", "iPhone"}, {"iPad", "iPad"},
	{"Android", "Android"},
	{"CrOS", "ChromeOS"},
	{"Windows", "Windows"},
	{"Macintosh", "macOS"}, {"Mac OS X", "macOS"},
	{"Linux", "Linux"},
}

// parseUserAgent knows just enough browsers and systems to name a passkey;
// anything else leaves the part empty.
func parseUserAgent(ua string) (browser, system string) {
	return firstMatch(ua, browsers), firstMatch(ua, systems)
}

func firstMatch(ua string, tokens []uaToken) string {
	for _, t := range tokens {
		if strings.Contains(ua, t.token) {
			return t.name
		}
	}
	return ""
}
