package handlers

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/account"
	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/avatar"
	"github.com/portalhq/portal/internal/oauth"
)

// backKey holds, in the __client cookie, the app /user was opened from.
const backKey = "profile_back"

// rememberBack keeps the (validated) app target for the account pages.
func (a *app) rememberBack(c echo.Context, target string) error {
	s, err := a.clients.Get(c.Request(), clientCookie)
	if err != nil || s.Values[clientIDKey] == nil {
		return nil // no client yet: nothing to attach it to
	}
	s.Values[backKey] = target
	return s.Save(c.Request(), c.Response())
}

// back is the app /user was opened from, or "".
func (a *app) back(c echo.Context) string {
	s, err := a.clients.Get(c.Request(), clientCookie)
	if err != nil {
		return ""
	}
	v, _ := s.Values[backKey].(string)
	if _, err := a.Redirects.CheckOrPortal(v, a.base); v == "" || err != nil {
		return ""
	}
	return v
}

// reverify sends the browser to confirm who it is, then on to back.
func (a *app) reverify(c echo.Context, back string) error {
	return c.Redirect(http.StatusSeeOther, "/user/verify?return="+url.QueryEscape(returnPath(back)))
}

// draftKey holds, in the __client cookie, what a person typed into a form
// that a lapsed confirmation interrupted, so that the form comes back
// filled in after /user/verify instead of empty. The cookie is encrypted
// and authenticated, so the values appear in no URL, log or history; only
// fields the caller names are kept, never a password or a code.
const draftKey = "reverify_draft"

// draftLife is how long a kept form waits: time to fetch an emailed code
// and type it.
const draftLife = 30 * time.Minute

// maxDraftValue bounds one kept value, so that the cookie stays small; a
// longer one is dropped (the form refuses it anyway).
const maxDraftValue = 512

// draft is a kept form: the session and the page it belongs to.
type draft struct {
	Session string     `json:"s"`
	Path    string     `json:"p"`
	Values  url.Values `json:"v"`
	Until   int64      `json:"u"`
}

// reverifyKeeping is reverify for a form post: the named fields of the
// form, as typed, are kept for back's page, which shows them again once
// the person has confirmed it's them (takeDraft). Clerk's UserProfile
// retries the request itself after its confirmation modal; a form cannot
// be posted again without the browser sending the verification's own form
// with it, so the person gets the form back filled in, one press from done.
func (a *app) reverifyKeeping(c echo.Context, sessionID, back string, fields ...string) error {
	kept := url.Values{}
	for _, f := range fields {
		if v := c.FormValue(f); v != "" && len(v) <= maxDraftValue {
			kept.Set(f, v)
		}
	}
	if len(kept) > 0 {
		a.saveDraft(c, draft{Session: sessionID, Path: returnPath(back), Values: kept, Until: a.Clock.Now().Add(draftLife).Unix()})
	}
	return a.reverify(c, back)
}

func (a *app) saveDraft(c echo.Context, d draft) {
	s, err := a.clients.Get(c.Request(), clientCookie)
	if err != nil || s.Values[clientIDKey] == nil {
		return // no client yet: nothing to attach it to
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return
	}
	s.Values[draftKey] = string(raw)
	_ = s.Save(c.Request(), c.Response()) // too large to keep: the form comes back empty, as before
}

// takeDraft returns, once, the values kept for the page at path of the
// session sessionID; nil when there are none. A draft of another session,
// or past draftLife, is dropped.
func (a *app) takeDraft(c echo.Context, sessionID, path string) url.Values {
	s, err := a.clients.Get(c.Request(), clientCookie)
	if err != nil {
		return nil
	}
	raw, _ := s.Values[draftKey].(string)
	if raw == "" {
		return nil
	}
	var d draft
	stale := json.Unmarshal([]byte(raw), &d) != nil || d.Session != sessionID || a.Clock.Now().Unix() > d.Until
	if !stale && d.Path != path {
		return nil // another page's, kept for it
	}
	delete(s.Values, draftKey)
	_ = s.Save(c.Request(), c.Response())
	if stale {
		return nil
	}
	return d.Values
}

// returnPath keeps only a path of the account pages, so /user/verify can
// send nobody anywhere else.
func returnPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || strings.Contains(raw, `\`) {
		return "/user"
	}
	p := path.Clean(u.Path)
	// Connecting a provider account from /user starts at its sign-in
	// path, which confirms first and comes back there.
	connect := strings.HasPrefix(p, "/sign-in/oauth/") && u.Query().Get("intent") == oauth.IntentConnect
	if !connect && (p != "/user" && !strings.HasPrefix(p, "/user/") || p == "/user/verify" || strings.HasPrefix(p, "/user/verify/")) {
		return "/user"
	}
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p
}

// POST /user/profile: names and username.
func (a *app) userProfileSave(c echo.Context) error {
	sess, u, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	form, _ := c.FormParams()
	in := account.Profile{FirstName: form.Get("first_name"), LastName: form.Get("last_name"), Username: form.Get("username")}
	if err := a.Account.UpdateProfile(c.Request().Context(), u, in); err != nil {
		return a.profileFailed(c, sess, u, err, form)
	}
	return c.Redirect(http.StatusSeeOther, "/user?done=profile")
}

// POST /user/language: the language of the owner's notices (the user's
// locale) and, through the locale cookie, of this browser's pages. Only a
// language the page offers is taken.
func (a *app) userLanguageSave(c echo.Context) error {
	sess, u, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	chosen := c.FormValue("locale")
	if !slices.Contains(a.I18n.Locales(), chosen) {
		return a.profileFailed(c, sess, u, apperr.Field(apperr.Invalid, "locale",
			"Choose one of the languages in the list.").T("account.language.invalid"), nil)
	}
	if err := a.Account.SetLanguage(c.Request().Context(), u, chosen); err != nil {
		return a.profileFailed(c, sess, u, err, nil)
	}
	a.rememberLocale(c, chosen)
	return c.Redirect(http.StatusSeeOther, "/user?done=language")
}

// POST /user/profile-image: a multipart upload, up to avatar.MaxUpload
// (this route alone accepts bodies that large).
func (a *app) userImageUpload(c echo.Context) error {
	sess, u, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	fh, err := c.FormFile("image")
	if err != nil {
		return a.profileFailed(c, sess, u, apperr.Field(apperr.Invalid, "image", "Choose an image to upload.").T("account.error.choose_image"), nil)
	}
	if fh.Size > avatar.MaxUpload {
		return a.profileFailed(c, sess, u, avatar.ErrTooLarge, nil)
	}
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	if err := a.Account.SetImage(c.Request().Context(), u.ID, f); err != nil {
		return a.profileFailed(c, sess, u, err, nil)
	}
	return c.Redirect(http.StatusSeeOther, "/user?done=image")
}

// imageUploadLimit is the body limit of the upload route: the file and the
// multipart framing around it.
const imageUploadLimit = avatar.MaxUpload + 64<<10

// POST /user/profile-image/delete.
func (a *app) userImageDelete(c echo.Context) error {
	sess, u, ok, err := a.signedIn(c)
	if !ok {
		return err
	}
	if err := a.Account.RemoveImage(c.Request().Context(), u.ID); err != nil {
		return a.profileFailed(c, sess, u, err, nil)
	}
	return c.Redirect(http.StatusSeeOther, "/user?done=image_removed")
}

var imageFileRE = regexp.MustCompile(`^(img_[0-9A-Za-z]{27})\.png$`)

// GET /images/:file: a profile image. Public, like Clerk's image URLs: the
// random ID in the URL is all that names it, and a new image gets a new
// URL, so it may be cached for good.
func (a *app) image(c echo.Context) error {
	m := imageFileRE.FindStringSubmatch(c.Param("file"))
	if m == nil {
		return echo.ErrNotFound
	}
	img, err := a.Images.UserImage(c.Request().Context(), m[1])
	if errors.Is(err, apperr.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin") // apps on other origins show it
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	return c.Blob(http.StatusOK, "image/png", img.PNG)
}
