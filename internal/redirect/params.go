package redirect

import (
	"net/url"

	"github.com/portalhq/portal/internal/apperr"
)

// Kind says which flow is asking, since sign-in and sign-up prefer different
// parameters.
type Kind int

const (
	SignIn Kind = iota
	SignUp
)

// Params lists every query parameter that can carry a redirect target, with
// Clerk's names. Handlers carry all of them from step to step.
func Params() []string {
	return []string{
		"redirect_url",
		"sign_in_force_redirect_url",
		"sign_in_fallback_redirect_url",
		"sign_up_force_redirect_url",
		"sign_up_fallback_redirect_url",
		"after_sign_in_url",
		"after_sign_up_url",
	}
}

// precedence is "force, then redirect, then fallback" for one flow.
func precedence(k Kind) []string {
	switch k {
	case SignIn:
		return []string{"sign_in_force_redirect_url", "redirect_url", "after_sign_in_url", "sign_in_fallback_redirect_url"}
	case SignUp:
		return []string{"sign_up_force_redirect_url", "redirect_url", "after_sign_up_url", "sign_up_fallback_redirect_url"}
	}
	return nil
}

// Pick returns the raw target the flow should use and the parameter it came
// from, or two empty strings when none is present. An empty value counts as
// absent; of repeated values the first wins. Pick does not validate: use
// Resolve.
func Pick(q url.Values, k Kind) (raw string, param string) {
	for _, name := range precedence(k) {
		for _, v := range q[name] {
			if v != "" {
				return v, name
			}
		}
	}
	return "", ""
}

// Resolve checks every value of every redirect parameter — not only the one
// Pick chooses — so a hostile target is refused wherever it hides, then
// returns the chosen target. It returns nil, nil when none is present. The
// refusal's Field names the offending parameter.
func (p *Policy) Resolve(q url.Values, k Kind) (*url.URL, error) {
	return resolve(q, k, p.Check)
}

// ResolveOrPortal is Resolve that also accepts targets on the portal itself,
// as CheckOrPortal does.
func (p *Policy) ResolveOrPortal(q url.Values, k Kind, portalBase *url.URL) (*url.URL, error) {
	return resolve(q, k, func(raw string) (*url.URL, error) { return p.CheckOrPortal(raw, portalBase) })
}

func resolve(q url.Values, k Kind, check func(string) (*url.URL, error)) (*url.URL, error) {
	for _, name := range Params() {
		for _, v := range q[name] {
			if v == "" {
				continue
			}
			if _, err := check(v); err != nil {
				if e, ok := apperr.As(err); ok {
					e.Field = name
				}
				return nil, err
			}
		}
	}
	raw, _ := Pick(q, k)
	if raw == "" {
		return nil, nil
	}
	return check(raw)
}
