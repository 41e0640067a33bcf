package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/oauth"
	"github.com/portalhq/portal/internal/user"
	"github.com/portalhq/portal/views"
)

// signedInUser returns the browser's user, or redirects to sign-in and
// back here (ok false).
func (a *app) signedInUser(c echo.Context) (*user.User, bool, error) {
	sess, err := a.current(c)
	if err != nil {
		return nil, false, err
	}
	if sess != nil {
		u, err := a.Users.UserByID(c.Request().Context(), sess.UserID)
		if err == nil {
			return u, true, nil
		}
		if !errors.Is(err, apperr.ErrNotFound) {
			return nil, false, err
		}
	}
	back := a.base.JoinPath("/user").String()
	return nil, false, c.Redirect(http.StatusSeeOther, "/sign-in?redirect_url="+url.QueryEscape(back))
}

// GET /user: the account page.
func (a *app) userProfile(c echo.Context) error {
	u, ok, err := a.signedInUser(c)
	if !ok {
		return err
	}
	notice := ""
	if p := a.provider(c.QueryParam("connected")); p != nil {
		notice = "Your " + p.DisplayName() + " account is connected."
	}
	return a.renderProfile(c, http.StatusOK, u, notice, nil)
}

func (a *app) renderProfile(c echo.Context, status int, u *user.User, notice string, errs views.Errors) error {
	p := views.UserProfile{Page: a.page(c, "Your account"), Name: u.FullName(), Email: u.PrimaryEmail(),
		Username: u.Username(), Notice: notice, Errors: errs, SignOutURL: "/sign-out", BackURL: ""}
	if ph := u.PrimaryPhone(); ph != "" {
		p.Phone = a.displayPhone(ph)
	}
	connected := map[string]bool{}
	for _, x := range u.ExternalAccounts {
		name := x.Provider
		if pr := a.provider(x.Provider); pr != nil {
			name = pr.DisplayName()
		}
		connected[x.Provider] = true
		p.Connected = append(p.Connected, views.ConnectedAccount{ID: x.ID, Provider: name, Email: x.Email, Username: x.Username})
	}
	back := url.Values{"redirect_url": {a.base.JoinPath("/user").String()}}
	p.Connect = a.socialButtons(back, oauth.IntentConnect, connected)
	return render(c, status, views.UserProfilePage(p))
}

// POST /user/external-accounts/:id/delete: disconnect, unless it is the last
// way to sign in.
func (a *app) userDisconnect(c echo.Context) error {
	u, ok, err := a.signedInUser(c)
	if !ok {
		return err
	}
	if err := a.Social.Disconnect(c.Request().Context(), u.ID, c.Param("id")); err != nil {
		e, safe := apperr.As(err)
		if !safe {
			return err
		}
		return a.renderProfile(c, statusOf(e.Code), u, "", views.Errors{"": e.Message})
	}
	return c.Redirect(http.StatusSeeOther, "/user")
}

// GET /sign-up/continue: the fields a provider sign-up still needs.
func (a *app) signUpContinuePage(c echo.Context) error {
	f, err := a.SignUp.Load(c.Request().Context(), a.clientID(c), c.QueryParam("sign_up"))
	if err != nil {
		return a.flowGone(c, err)
	}
	if len(f.Data.Missing) == 0 {
		return c.Redirect(http.StatusSeeOther, signUpVerifyURL(f))
	}
	return a.renderSignUpContinue(c, http.StatusOK, f, nil, nil)
}

func (a *app) renderSignUpContinue(c echo.Context, status int, f *flowT, form url.Values, errs views.Errors) error {
	fs := a.SignUp.MissingFields(f)
	get := func(name string) string {
		if form != nil {
			return strings.TrimSpace(form.Get(name))
		}
		return ""
	}
	provider := ""
	if f.Data.External != nil {
		provider = f.Data.External.Provider
		if p := a.provider(provider); p != nil {
			provider = p.DisplayName()
		}
	}
	return render(c, status, views.SignUpPage(views.SignUp{Page: a.page(c, "Almost there"), Action: "/sign-up/continue",
		FlowID: f.ID, Provider: provider,
		Email: get("email_address"), Phone: get("phone_number"), Username: get("username"),
		FirstName: firstNonEmpty(get("first_name"), f.Data.FirstName), LastName: firstNonEmpty(get("last_name"), f.Data.LastName),
		ShowEmail: fs.Shown["email_address"], RequireEmail: true, ShowPhone: fs.Shown["phone_number"], RequirePhone: true,
		ShowUsername: fs.Shown["username"], RequireUsername: true,
		ShowNames: fs.Shown["first_name"] || fs.Shown["last_name"], RequireNames: true, Errors: errs}))
}

// POST /sign-up/continue.
func (a *app) signUpContinue(c echo.Context) error {
	ctx := c.Request().Context()
	f, err := a.SignUp.Load(ctx, a.clientID(c), c.FormValue("sign_up"))
	if err != nil {
		return a.flowGone(c, err)
	}
	form, _ := c.FormParams()
	in := signupForm(form)
	sess, err := a.SignUp.Fill(ctx, f, in, a.meta(c))
	if err != nil {
		if fe, ok := asFormError(err); ok {
			return a.renderSignUpContinue(c, http.StatusUnprocessableEntity, f, form, views.Errors(fe.Fields))
		}
		if errs, status, ok := formErrors(err); ok {
			return a.renderSignUpContinue(c, status, f, form, views.Errors{"": firstMessage(errs)})
		}
		return err
	}
	return a.signUpDone(c, f, sess, nil)
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
