package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/i18n"
)

// A page showing a safe error is headed with what happened, in words and
// in the request's language: "Something went wrong" is for what is not
// the person's doing, and the status is only in the small print.
func TestErrorPageHeadingSaysWhatHappened(t *testing.T) {
	cat, err := i18n.New("en", "")
	if err != nil {
		t.Fatal(err)
	}
	a := &app{Deps: Deps{I18n: cat}}
	codes := []apperr.Code{apperr.Invalid, apperr.NotFound, apperr.Conflict, apperr.Unauthorized, apperr.Forbidden,
		apperr.RateLimited, apperr.Unavailable, apperr.Expired}
	for _, locale := range cat.Locales() {
		c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
		c.Set(localeKey, cat.For(locale))
		generic := a.t(c, "page.error_title")
		seen := map[string]apperr.Code{}
		for _, code := range codes {
			h := a.headingFor(c, code)
			if h == "" || h == generic || strings.ContainsAny(h, "0123456789") || strings.Contains(h, "page.") {
				t.Errorf("%s: %s is headed %q", locale, code, h)
			}
			if other, ok := seen[h]; ok && !(other == apperr.Unauthorized && code == apperr.Forbidden) {
				t.Errorf("%s: %s and %s are both headed %q", locale, other, code, h)
			}
			seen[h] = code
		}
	}
}

// A step of a flow sent back with a mistake takes the step's own address
// (static/history.js), so that Back to it or a reload is no resubmitted
// form; a form that keeps what was typed (static/typed.js) takes its
// page's, with the redirect parameters and without what was typed.
func TestStepSentBackTakesItsOwnAddress(t *testing.T) {
	e := echo.New()
	nop := func(echo.Context) error { return nil }
	for _, p := range []string{"/sign-up", "/sign-up/verify-email-address", "/sign-up/continue", "/user/verify", "/user/password", "/user/profile"} {
		e.GET(p, nop)
		e.POST(p, nop)
	}
	e.POST("/sign-up/verify-email-address/resend", nop)
	e.POST("/organizations/:org_id/invitations", nop)
	e.POST("/organizations/:org_id/domains/:domain_id/send-code", nop)
	for _, c := range []struct{ path, form, want string }{
		{"/sign-up/verify-email-address", "sign_up=sua_1&code=000000", "/sign-up/verify-email-address?sign_up=sua_1"},
		{"/sign-up/verify-email-address/resend", "sign_up=sua_1", "/sign-up/verify-email-address?sign_up=sua_1"},
		{"/user/verify", "return=/user/password&strategy=password&password=x", "/user/verify?return=%2Fuser%2Fpassword&strategy=password"},
		{"/sign-up", "email_address=a@example.com&redirect_url=http://localhost:3000", "/sign-up?redirect_url=http%3A%2F%2Flocalhost%3A3000"},
		{"/sign-up/continue", "sign_up=sua_1&username=ada", "/sign-up/continue?sign_up=sua_1"},
		{"/user/profile", "first_name=Ada", "/user"},
		{"/organizations/:org_id/invitations", "email_address=grace@example.com&role=org:member", "/organizations/org_1/invitations"},
		{"/organizations/:org_id/domains/:domain_id/send-code", "email_address=it@acme.test", "/organizations/org_1/domains/dom_2"},
		{"/user/password", "password=x", "/user/password"}, // the page again, the password not sent again
	} {
		req := httptest.NewRequest(http.MethodPost, c.path, strings.NewReader(c.form))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
		ctx := e.NewContext(req, httptest.NewRecorder())
		ctx.SetPath(c.path)
		ctx.SetParamNames("org_id", "domain_id")
		ctx.SetParamValues("org_1", "dom_2")
		if got := stepAddress(ctx); got != c.want {
			t.Errorf("POST %s (%s) sent back: address %q, want %q", c.path, c.form, got, c.want)
		}
	}
}
