package oidctest

import (
	"net/http"
	"net/url"
	"testing"
)

// The provider refuses what a careless client would send, so tests of the
// client fail when it stops sending PKCE or a nonce (REQ-OA-01, REQ-OA-02).
func TestAuthorizeRequiresS256AndNonce(t *testing.T) {
	s := Start(t)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	good := url.Values{
		"client_id": {s.ClientID}, "response_type": {"code"}, "scope": {"openid email"}, "state": {"st"},
		"redirect_uri": {"http://localhost:4000/cb"}, "nonce": {"n"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"},
	}
	for _, tc := range []struct {
		name, drop, set, to string
		wantError           string
	}{
		{name: "complete", wantError: ""},
		{name: "no challenge", drop: "code_challenge", wantError: "invalid_request"},
		{name: "plain challenge", set: "code_challenge_method", to: "plain", wantError: "invalid_request"},
		{name: "no nonce", drop: "nonce", wantError: "invalid_request"},
	} {
		q := url.Values{}
		for k, v := range good {
			q[k] = v
		}
		q.Del(tc.drop)
		if tc.set != "" {
			q.Set(tc.set, tc.to)
		}
		resp, err := c.Get(s.Issuer() + "/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		back := loc.Query()
		if back.Get("error") != tc.wantError || back.Get("state") != "st" || (tc.wantError == "") == (back.Get("code") == "") {
			t.Errorf("%s: redirected to %s", tc.name, loc)
		}
	}
}
