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
