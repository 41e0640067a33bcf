package signin

import "strings"

// Mask hides most of an address or number so a page can say where a code
// went without disclosing it: "j•••@example.com", "+1•••••••0100".
func Mask(s string) string {
	if local, domain, ok := strings.Cut(s, "@"); ok {
		if len(local) <= 1 {
			return local + "•••@" + domain
		}
		return local[:1] + "•••@" + domain
	}
	if len(s) <= 6 {
		return s
	}
	return s[:2] + strings.Repeat("•", len(s)-6) + s[len(s)-4:]
}
