// Package mailer renders the portal's emails from their templ templates and
// hands them to a notify.Mailer, recording an email.created event for each.
package mailer

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/i18n"
	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/newdevice"
	"github.com/portalhq/portal/internal/notify"
	"github.com/portalhq/portal/internal/phone"
	"github.com/portalhq/portal/internal/sms"
	"github.com/portalhq/portal/internal/theme"
	"github.com/portalhq/portal/views"
)

// EventWriter records email.created.
type EventWriter interface {
	InsertEvent(ctx context.Context, e events.Event) error
}

// Mailer implements flow.Notifier.
type Mailer struct {
	Clock   clockwork.Clock
	Send    notify.Mailer
	Events  EventWriter
	AppName string
	BaseURL string
	// SMS sends text messages (Twilio or the dev outbox); nil disables them.
	SMS       sms.Sender
	Countries *phone.Allowlist
	// I18n gives the language of a message sent outside a person's
	// request (the Backend API's invitations): the instance default.
	// Within a request, the request's language (i18n.FromContext) wins,
	// but for messages written in their reader's locale (toOwner,
	// toReader). Nil means English.
	I18n *i18n.Catalog
	// Theme gives the button its primary colours (theme.Live); nil keeps
	// the default ones.
	Theme Themes
}

// Themes returns the theme in force; theme.Live is one.
type Themes interface {
	Theme() (*theme.Theme, error)
}

var (
	_ flow.Notifier      = (*Mailer)(nil)
	_ newdevice.Notifier = (*Mailer)(nil)
)

// ErrSend is what a person sees when the mail server refuses or is down.
var ErrSend = apperr.New(apperr.Unavailable, "We couldn't send the email just now. Please try again in a moment.").
	T("error.email.send")

// errNoSMS is what a person sees when the instance sends no text messages.
var errNoSMS = apperr.New(apperr.Unavailable, "Text messages can't be sent from this site. Please use another way.").
	T("error.sms.unavailable")

// SendCode sends a one-time code.
func (m *Mailer) SendCode(ctx context.Context, to, code, purpose string) error {
	p := views.CodeEmail{Email: m.base(ctx), Code: code, Minutes: int(flow.CodeTTL / time.Minute), Purpose: purpose}
	return m.deliver(ctx, "verification_code", to, views.CodeEmailSubject(p), views.CodeEmailHTML(p))
}

// SendLink sends a sign-in or verification link.
func (m *Mailer) SendLink(ctx context.Context, to, link, purpose string) error {
	p := views.LinkEmail{Email: m.base(ctx), URL: link, Minutes: int(flow.CodeTTL / time.Minute), Purpose: purpose}
	return m.deliver(ctx, "magic_link_"+strings.ReplaceAll(purpose, "-", "_"), to, views.LinkEmailSubject(p),
		views.LinkEmailHTML(p))
}

// SendPasswordChanged tells the owner their password was changed
// (REQ-PW-07), in the owner's language (locale, the user's) when the
// account has one: the session that changed it may not be the owner's.
func (m *Mailer) SendPasswordChanged(ctx context.Context, to, locale string) error {
	ctx = m.toReader(ctx, locale)
	e := m.base(ctx)
	p := views.PasswordChangedEmail{Email: e, When: m.dateTime(ctx, m.Clock.Now()),
		SignInURL: m.BaseURL + "/sign-in"}
	return m.deliver(ctx, "password_changed", to, views.PasswordChangedEmailSubject(p), views.PasswordChangedEmailHTML(p))
}

// SendPrimaryEmailChanged tells the old primary address, to, that the
// account's primary address is now newAddress (REQ-PW-07), in the
// owner's language (locale) as SendPasswordChanged is.
func (m *Mailer) SendPrimaryEmailChanged(ctx context.Context, to, locale, newAddress string) error {
	ctx = m.toReader(ctx, locale)
	e := m.base(ctx)
	p := views.PrimaryEmailChangedEmail{Email: e, NewAddress: newAddress,
		When: m.dateTime(ctx, m.Clock.Now()), SignInURL: m.BaseURL + "/sign-in"}
	return m.deliver(ctx, "primary_email_address_changed", to, views.PrimaryEmailChangedEmailSubject(p),
		views.PrimaryEmailChangedEmailHTML(p))
}

// SendSMSCode texts a one-time code, only to numbers in the allowlist.
func (m *Mailer) SendSMSCode(ctx context.Context, to, code, purpose string) error {
	if m.SMS == nil {
		return errNoSMS
	}
	if n, err := phone.Parse(to, ""); err != nil {
		return err
	} else if err := m.Countries.Check(n); err != nil {
		return err
	}
	host := ""
	if u, err := url.Parse(m.BaseURL); err == nil {
		host = u.Hostname()
	}
	msg := views.SMSCode{AppName: m.appName(m.theme()), Code: code, Minutes: int(flow.CodeTTL / time.Minute),
		Purpose: purpose, Domain: host}
	if l := m.localizer(ctx); l != nil {
		msg.I18n = l
	}
	body, err := views.SMSCodeText(ctx, msg)
	if err != nil {
		return fmt.Errorf("mailer: render sms: %w", err)
	}
	if err := m.SMS.SendSMS(ctx, sms.Message{To: to, Body: body}); err != nil {
		return err
	}
	now := m.Clock.Now()
	// The message is left out, as email.created leaves out subject and body:
	// it holds the code, which the webhook, the events table and whatever
	// logs the receiver keeps would otherwise carry in clear (codes are
	// stored only hashed, REQ-OTP-05).
	obj := smsObject{Object: "sms_message", ID: id.New("sms"), Slug: "verification_code", ToPhoneNumber: to,
		Status: "delivered", DeliveredByPortal: true}
	e, err := events.New(events.SMSCreated, obj.ID, obj, now)
	if err != nil {
		return err
	}
	return m.Events.InsertEvent(ctx, e)
}

// smsObject is the sms.created payload, shaped like Clerk's SMS message object.
type smsObject struct {
	Object            string `json:"object"`
	ID                string `json:"id"`
	Slug              string `json:"slug"`
	ToPhoneNumber     string `json:"to_phone_number"`
	Message           string `json:"message"`
	Status            string `json:"status"`
	DeliveredByPortal bool   `json:"delivered_by_clerk"`
}

// SendSignInLocked tells an account's owner that attempts failures locked
// sign-in to it until until (REQ-RL-07).
//
// It is written in the owner's language (locale, the user's), not the
// page's: the person whose failures locked the account may not be its
// owner, and must not choose how the owner is told (toOwner).
func (m *Mailer) SendSignInLocked(ctx context.Context, to, locale string, attempts int, until time.Time) error {
	ctx = m.toOwner(ctx, locale)
	p := views.SignInLockedEmail{Email: m.base(ctx), Attempts: attempts, Until: m.dateTime(ctx, until),
		AccountURL: m.BaseURL + "/user/security"}
	return m.deliver(ctx, "sign_in_locked", to, views.SignInLockedEmailSubject(p), views.SignInLockedEmailHTML(p))
}

// SendNewSignIn tells an account's owner that it was signed in to from a
// browser it had not been used on lately: when, from what kind of browser
// and system, from which IP address and how (REQ-RL-07, package
// newdevice). It points to the account page's devices, built from the
// configured base URL, where a device they don't recognize can be signed
// out.
//
// Like SendSignInLocked it is written in the owner's language (locale),
// not the page's: whoever signed in may not be the owner, and must not
// choose how the owner is told.
func (m *Mailer) SendNewSignIn(ctx context.Context, to, locale string, s newdevice.SignIn) error {
	ctx = m.toOwner(ctx, locale)
	p := views.NewSignInEmail{Email: m.base(ctx), When: m.dateTime(ctx, s.At), Browser: s.Browser, OS: s.OS,
		IP: s.IP, Method: s.Method, Provider: s.Provider, AccountURL: m.BaseURL + "/user#devices",
		HasPassword: s.HasPassword}
	return m.deliver(ctx, "new_device_sign_in", to, views.NewSignInEmailSubject(p), views.NewSignInEmailHTML(p))
}

// SendExistingAccount tells an address's owner that someone tried to sign
// up with it, in the owner's language (locale), not the visitor's.
func (m *Mailer) SendExistingAccount(ctx context.Context, to, locale string) error {
	ctx = m.toOwner(ctx, locale)
	p := views.ExistingAccountEmail{Email: m.base(ctx), SignInURL: m.BaseURL + "/sign-in"}
	return m.deliver(ctx, "sign_up_existing_account", to, views.ExistingAccountEmailSubject(p),
		views.ExistingAccountEmailHTML(p))
}

// toOwner is ctx for a message to an account's owner about something
// another person may have done: written in the owner's locale (the user's,
// matched to the closest language the portal speaks), else the instance's
// default, never in the language of the request that caused it.
func (m *Mailer) toOwner(ctx context.Context, locale string) context.Context {
	if m.I18n == nil {
		return ctx
	}
	return i18n.NewContext(ctx, m.I18n.For(cmp.Or(locale, m.I18n.Default())))
}

// toReader is ctx for a message written in its reader's language when
// their account has one the portal speaks (locale, matched to the closest
// catalog), else in the request's language, else the instance default:
// a notice of a change made in a signed-in session (a new password,
// another primary address), since whoever holds the session may not be
// the owner; an invitation to an address with an account, since the
// invitee reads it, not the inviter.
func (m *Mailer) toReader(ctx context.Context, locale string) context.Context {
	if m.I18n == nil {
		return ctx
	}
	if loc, ok := m.I18n.Match(locale); ok {
		return i18n.NewContext(ctx, m.I18n.For(loc))
	}
	return ctx
}

// localizer is the language of a message: the person's request's, else
// the instance default's; nil (English) when the mailer has no catalog.
func (m *Mailer) localizer(ctx context.Context) *i18n.Localizer {
	if l := i18n.FromContext(ctx); l != nil {
		return l
	}
	if m.I18n != nil {
		return m.I18n.For(m.I18n.Default())
	}
	return nil
}

// date and dateTime write t the way the message's language does ("26.
// Nov. 2026"); English without a catalog.
func (m *Mailer) date(ctx context.Context, t time.Time) string {
	if l := m.localizer(ctx); l != nil {
		return l.Date(t)
	}
	return t.UTC().Format("2 Jan 2006")
}

func (m *Mailer) dateTime(ctx context.Context, t time.Time) string {
	if l := m.localizer(ctx); l != nil {
		return l.DateTime(t)
	}
	return t.UTC().Format("2 Jan 2006, 15:04 UTC")
}

// theme is the theme in force, or nil without one.
func (m *Mailer) theme() *theme.Theme {
	if m.Theme == nil {
		return nil
	}
	t, _ := m.Theme.Theme() // on a reload error, the last good theme
	return t
}

// appName is the name the pages show: the theme's applicationName when it
// sets one, else PORTAL_APP_NAME. A message names the app as the page
// that asked for it does.
func (m *Mailer) appName(t *theme.Theme) string { return t.AppName(m.AppName) }

func (m *Mailer) base(ctx context.Context) views.Email {
	t := m.theme()
	e := views.Email{AppName: m.appName(t), BaseURL: m.BaseURL, Colors: colors(t), Logo: m.logo(t)}
	if l := m.localizer(ctx); l != nil {
		e.Lang, e.Dir, e.I18n = l.Locale(), l.Dir(), l
	}
	return e
}

// colors are the theme's primary colours for an email's button, when the
// button reads well on the email's white card (WCAG: 3:1 against white,
// 4.5:1 for its label); mail clients ignore the theme's dark mode, so a
// light primary colour (the dark theme's) keeps the default.
func colors(t *theme.Theme) views.EmailColors {
	if t == nil {
		return views.EmailColors{}
	}
	pal := t.Palette(false)
	bg, ok := pal["colorPrimary"]
	fg, ok2 := pal["colorPrimaryForeground"]
	white := theme.RGBA{R: 255, G: 255, B: 255, A: 1}
	if !ok || !ok2 || bg.A != 1 || fg.A != 1 || theme.Contrast(bg, white) < 3 || theme.Contrast(fg, bg) < 4.5 {
		return views.EmailColors{}
	}
	return views.EmailColors{Primary: bg.String(), PrimaryForeground: fg.String()}
}

// emailLogoHeight is the height an email draws the logo at, and
// emailLogoWidth the most width it may take.
const emailLogoHeight, emailLogoWidth = 40, 200

// logo is the theme's logo for an email's head, as pages show it unless
// the theme places none: a file the portal serves by its public URL (a
// mail client resolves no path), or the theme's logo URL. Only PNG, JPEG
// and GIF: Gmail and Outlook show neither SVG nor WebP, and a broken
// image is worse than the app's name alone.
func (m *Mailer) logo(t *theme.Theme) views.EmailLogo {
	if t == nil || t.Options.LogoPlacement == "none" {
		return views.EmailLogo{}
	}
	if l := t.Logo(); l != nil {
		if !l.Raster() {
			return views.EmailLogo{}
		}
		w, h := l.Width*emailLogoHeight/l.Height, emailLogoHeight
		if w > emailLogoWidth {
			w, h = emailLogoWidth, max(1, l.Height*emailLogoWidth/l.Width)
		}
		return views.EmailLogo{URL: strings.TrimSuffix(m.BaseURL, "/") + l.URL(), Width: max(1, w), Height: h}
	}
	if u, err := url.Parse(t.Options.LogoImageURL); err == nil && u.Host != "" {
		switch strings.ToLower(path.Ext(u.Path)) {
		case ".png", ".jpg", ".jpeg", ".gif":
			return views.EmailLogo{URL: t.Options.LogoImageURL}
		}
	}
	return views.EmailLogo{}
}

// emailObject is the email.created payload, shaped like Clerk's email object.
type emailObject struct {
	Object            string `json:"object"`
	ID                string `json:"id"`
	Slug              string `json:"slug"`
	ToEmailAddress    string `json:"to_email_address"`
	Subject           string `json:"subject"`
	Body              string `json:"body"`
	BodyPlain         string `json:"body_plain"`
	Status            string `json:"status"`
	DeliveredByPortal bool   `json:"delivered_by_clerk"`
}

// deliver sends the email html renders, with the text body made of the
// same component (views.EmailText: its text, lines wrapped), and records
// email.created.
func (m *Mailer) deliver(ctx context.Context, slug, to, subject string, html templ.Component) error {
	var buf bytes.Buffer
	if err := html.Render(ctx, &buf); err != nil {
		return fmt.Errorf("mailer: render %s: %w", slug, err)
	}
	text, err := views.EmailText(ctx, html)
	if err != nil {
		return fmt.Errorf("mailer: render %s as text: %w", slug, err)
	}
	if err := m.Send.SendEmail(ctx, notify.Email{To: to, Subject: subject, Text: text + "\n", HTML: buf.String()}); err != nil {
		e := *ErrSend
		e.Err = err
		return &e
	}
	now := m.Clock.Now()
	obj := emailObject{Object: "email", ID: id.New("ema"), Slug: slug, ToEmailAddress: to,
		Status: "delivered", DeliveredByPortal: true}
	e, err := events.New(events.EmailCreated, obj.ID, obj, now)
	if err != nil {
		return err
	}
	return m.Events.InsertEvent(ctx, e)
}
