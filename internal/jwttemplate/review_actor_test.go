package jwttemplate_test

import (
	"encoding/json"
	"testing"

	"github.com/portalhq/portal/internal/jwttemplate"
)

// REVIEW (defect): a JWT template token minted in an impersonation
// session carries no act claim unless the template's author wrote
// {{session.actor}} in: getToken({template}) in the support agent's
// browser gives the app's backend a token, signed with the instance key,
// for the user's sub and indistinguishable from the user's own. Clerk
// lists act among the default claims "every generated token" has and
// templates cannot override. Service.Sign (service.go) should set act
// from d.Session.Actor beside iss/sub/jti, and Reserved() (compile.go)
// should refuse "act" in a template's claims, so that a template (say
// "act": "{{user.unsafe_metadata.act}}", which the user writes) cannot
// make the user's own session look like an impersonation either.
func TestReviewTemplateTokenOfAnImpersonationCarriesAct(t *testing.T) {
	f := newFixture(t)
	f.create(t, jwttemplate.Input{Name: ptr("backend"), Claims: json.RawMessage(`{"role": "member"}`)})
	f.sess.Actor = json.RawMessage(`{"sub":"user_support"}`)
	c := f.verifyJWKS(t, f.mint(t, "backend", "https://app.example.com"))
	if act, _ := c["act"].(map[string]any); act["sub"] != "user_support" {
		t.Errorf("template token of an impersonation session: act = %v, want {sub: user_support} (claims %v)", c["act"], c)
	}

	t.Run("a template cannot write act", func(t *testing.T) {
		_, err := f.svc.Create(t.Context(), jwttemplate.Input{Name: ptr("fake_act"),
			Claims: json.RawMessage(`{"act": {"sub": "{{user.unsafe_metadata.impersonator}}"}}`)})
		if err == nil {
			t.Error(`a template with its own "act" claim was accepted, as "iss" or "sub" are not`)
		}
	})
}
