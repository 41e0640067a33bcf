package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/events"
	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/testutil/webauthntest"
	"github.com/portalhq/portal/internal/user"
)

// A passkey added from /user/security signs in from the "Sign in with a
// passkey" button of /sign-in, with no identifier typed, on both engines:
// the session carries both factors in fva (a user-verifying passkey is two
// factors in one) and the usual events are written.
func TestPasskeyAddThenSignIn_REQ_WA_10(t *testing.T) {
	engines(t, func(t *testing.T, postgres bool) {
		p := portaltest.Start(t, portaltest.Options{Postgres: postgres})
		b := newBrowser(t, p)
		wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
		k := newKey(t, p)
		added := addPasskey(t, b, k, webauthntest.Ceremony{})
		wantText(t, "after adding", added, http.StatusOK, "Your passkey is ready", "Passkey", "Never used")
		if added.URL.Path != "/user/security" {
			t.Fatalf("after adding: at %s", added.URL)
		}
		b.submit(b.get("/sign-out"), signOutForm, nil)

		// The sign-in page offers the button and autofill on the identifier.
		in := newBrowser(t, p)
		start := in.get(withRedirect("/sign-in", appURL))
		if ac, _ := start.Doc.Find("#identifier-field").Attr("autocomplete"); ac != "username webauthn" {
			t.Errorf("identifier autocomplete %q, want \"username webauthn\"", ac)
		}
		if start.Doc.Find(`script[src="/static/passkeys.js"]`).Length() != 1 ||
			start.Doc.Find(passkeySignInForm+`[data-passkey-login][data-passkey-only]`).Length() != 1 {
			t.Errorf("no passkey button or script on /sign-in:\n%s", start.Body)
		}
		tok := wantHandBack(t, signInWithPasskey(t, in, k, webauthntest.Ceremony{}, appURL), http.StatusSeeOther, appURL)
		if got := fva(t, p, tok); got != [2]int{0, 0} {
			t.Errorf("fva = %v, want [0 0]", got)
		}
		c, _ := verify(t, p, tok)
		u, _ := p.Store.Q.UserByIdentifier(context.Background(), user.Email, "ada@example.com")
		if c.Subject != u.ID || u.Passkeys != 1 || u.LastSignInAt == nil {
			t.Errorf("signed in as %s; user %+v", c.Subject, u)
		}
		evs, _ := p.Store.Q.EventsOfObject(context.Background(), c.SID)
		if len(evs) == 0 || evs[0].Type != events.SessionCreated {
			t.Errorf("session events %+v", evs)
		}
		creds, _ := p.Store.Q.CredentialsOfUser(context.Background(), u.ID)
		if len(creds) != 1 || creds[0].LastUsedAt == nil {
			t.Errorf("last use not recorded: %+v", creds)
		}
	})
}

// Protocol checks through the portal's endpoints and the SQL store, on both
// engines: a replayed challenge, a wrong origin, a wrong RP ID, a counter
// that goes backwards (logged), a challenge from another browser and a
// credential registered twice are all refused and start no session.
func TestPasskeyAttacksRefused_REQ_WA_02_03_04_07_09(t *testing.T) {
	engines(t, func(t *testing.T, postgres bool) {
		var log logBuffer
		p := portaltest.Start(t, portaltest.Options{Postgres: postgres, Log: &log})
		b := newBrowser(t, p)
		wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL)
		k := newKey(t, p)
		k.Counter = 5 // a security key with a real counter
		wantText(t, "adding", addPasskey(t, b, k, webauthntest.Ceremony{}), http.StatusOK, "Your passkey is ready")
		u, _ := p.Store.Q.UserByIdentifier(context.Background(), user.Email, "ada@example.com")
		sessionsBefore := activeSessions(t, p, u.ID)

		refused := func(what string, pg *page, status int) {
			t.Helper()
			noSession(t, what, pg)
			if pg.Status != status {
				t.Errorf("%s: status %d, want %d:\n%s", what, pg.Status, status, pg.text())
			}
		}
		in := newBrowser(t, p)

		// REQ-WA-02: the same challenge and response twice.
		start := in.get(withRedirect("/sign-in", appURL))
		_, opts := in.passkeyOptions("/sign-in/passkey/options", nil)
		fields := map[string]string{"challenge_id": webauthntest.ParseOptions(t, opts).ChallengeID,
			"credential": string(k.Get(t, opts, webauthntest.Ceremony{}))}
		wantHandBack(t, in.submit(start, passkeySignInForm, fields), http.StatusSeeOther, appURL)
		in.submit(in.get("/sign-out"), signOutForm, nil)
		replay := in.follow(in.postForm(http.MethodPost, "/sign-in/passkey",
			url.Values{"_csrf": {in.csrf()}, "challenge_id": {fields["challenge_id"]}, "credential": {fields["credential"]},
				"redirect_url": {appURL}}, nil))
		refused("replayed challenge", replay, http.StatusGone)

		// REQ-WA-03, REQ-WA-04.
		refused("wrong origin", signInWithPasskey(t, in, k, webauthntest.Ceremony{Origin: "http://localhost:1"}, appURL), http.StatusUnauthorized)
		refused("wrong RP ID", signInWithPasskey(t, in, k, webauthntest.Ceremony{RPID: "example.com"}, appURL), http.StatusUnauthorized)

		// REQ-WA-09: a counter below the stored one fails and is logged.
		back := uint32(3)
		refused("counter backwards", signInWithPasskey(t, in, k, webauthntest.Ceremony{Counter: &back}, appURL), http.StatusUnauthorized)
		if !log.contains("authenticator may be cloned") {
			t.Error("the counter going backwards was not logged")
		}

		// REQ-WA-02: options are bound to the browser that asked for them.
		other := newBrowser(t, p)
		page := other.get("/sign-in")
		_, opts = in.passkeyOptions("/sign-in/passkey/options", nil)
		other.passkeyOptions("/sign-in/passkey/options", nil) // a client of its own
		refused("another browser's challenge", other.submit(page, passkeySignInForm, map[string]string{
			"challenge_id": webauthntest.ParseOptions(t, opts).ChallengeID,
			"credential":   string(k.Get(t, opts, webauthntest.Ceremony{}))}), http.StatusUnauthorized)

		if n := activeSessions(t, p, u.ID); n != sessionsBefore {
			t.Errorf("%d active sessions after the refusals, want %d", n, sessionsBefore)
		}
		// The passkey still works afterwards.
		wantHandBack(t, signInWithPasskey(t, in, k, webauthntest.Ceremony{}, appURL), http.StatusSeeOther, appURL)

		// REQ-WA-07: registered twice, by its owner or by someone else.
		wantText(t, "same key again", addPasskey(t, b, k, webauthntest.Ceremony{}), http.StatusConflict, "This passkey is already registered.")
		eve := newBrowser(t, p)
		wantHandBack(t, signUp(t, p, eve, "eve@example.com", appURL), http.StatusSeeOther, appURL)
		wantText(t, "someone else's key", addPasskey(t, eve, k, webauthntest.Ceremony{}), http.StatusConflict, "This passkey is already registered.")
		if owner, err := p.Store.Q.CredentialByID(context.Background(), k.ID); err != nil || owner.UserID != u.ID {
			t.Errorf("credential now: %+v, %v", owner, err)
		}
	})
}

// Rename and remove touch only the person's own passkeys; the last way to
// sign in cannot be removed (here passkeys are the only factor).
func TestPasskeyManageAndLastWay_REQ_WA_10(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_FACTORS": "passkey"}})
	b := newBrowser(t, p)
	verifyPage := b.submit(b.get("/sign-up"), signUpForm, map[string]string{"email_address": "ada@example.com"})
	wantText(t, "signed up", b.submit(verifyPage, verifyForm, map[string]string{"code": p.SMTP.WaitFor(t, "ada@example.com", mailWait).Code()}),
		http.StatusOK, "You're signed in")
	first, second := newKey(t, p), newKey(t, p)
	addPasskey(t, b, first, webauthntest.Ceremony{})
	list := b.get("/user/security")
	id, _ := list.Doc.Find(`[data-testid=passkey] input[name=name]`).Attr("id")
	id = strings.TrimPrefix(id, "rename-")
	if id == "" {
		t.Fatalf("no passkey listed:\n%s", list.Body)
	}
	removePath := "/user/security/passkeys/" + id + "/remove"
	wantText(t, "removing the only way", b.submit(b.get(removePath), `form[action="`+removePath+`"]`, nil),
		http.StatusUnprocessableEntity, "You can't remove your only way to sign in.")

	// The name shows once; its rename box waits behind "Rename". A name
	// refused opens it again holding what was typed, the reason tied to it.
	renameForm := `form[action="/user/security/passkeys/` + id + `/rename"]`
	if list.Doc.Find(`details.cl-passkeyRename[open]`).Length() != 0 {
		t.Errorf("a rename box is open before anyone asked")
	}
	long := strings.Repeat("laptop ", 10)
	refused := b.submit(list, renameForm, map[string]string{"name": long})
	wantText(t, "long name", refused, http.StatusUnprocessableEntity, "Enter a name of 1 to 50 characters.")
	box := refused.Doc.Find(`details.cl-passkeyRename[open] input#rename-` + id)
	if box.AttrOr("value", "") != long || box.AttrOr("aria-invalid", "") != "true" || box.AttrOr("aria-describedby", "") != "rename-"+id+"-error" {
		t.Errorf("the refused rename is not open with what was typed and why:\n%s", refused.Body)
	}
	if refused.Doc.Find(`.cl-alert[role=alert]`).Length() != 0 {
		t.Errorf("the reason is shown twice, at the top and by the box")
	}
	renamed := b.submit(refused, renameForm, map[string]string{"name": "  Work   laptop "})
	wantText(t, "renamed", renamed, http.StatusOK, "Passkey renamed.", "Work laptop")

	// Someone else cannot rename or remove it.
	eve := newBrowser(t, p)
	eveVerify := eve.submit(eve.get("/sign-up"), signUpForm, map[string]string{"email_address": "eve@example.com"})
	eve.submit(eveVerify, verifyForm, map[string]string{"code": p.SMTP.WaitFor(t, "eve@example.com", mailWait).Code()})
	wantText(t, "rename by another user", eve.follow(eve.postForm(http.MethodPost, "/user/security/passkeys/"+id+"/rename",
		url.Values{"_csrf": {eve.csrf()}, "name": {"Mine"}}, nil)), http.StatusNotFound, "That passkey no longer exists.")
	wantText(t, "remove by another user", eve.follow(eve.postForm(http.MethodPost, removePath,
		url.Values{"_csrf": {eve.csrf()}}, nil)), http.StatusNotFound, "That passkey no longer exists.")

	// With a second passkey the first can go.
	addPasskey(t, b, second, webauthntest.Ceremony{})
	wantText(t, "removed", b.submit(b.get(removePath), `form[action="`+removePath+`"]`, nil), http.StatusOK, "Passkey removed.")
	if pg := b.get("/user/security"); pg.Doc.Find(`[data-testid=passkey]`).Length() != 1 {
		t.Errorf("passkeys listed after removing one:\n%s", pg.text())
	}
}

// Identifier first: an account with a passkey is offered it beside the
// password; only that account's passkey passes.
func TestPasskeyAfterIdentifier(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada, eve := newBrowser(t, p), newBrowser(t, p)
	signUp(t, p, ada, "ada@example.com", appURL)
	signUp(t, p, eve, "eve@example.com", appURL)
	adaKey, eveKey := newKey(t, p), newKey(t, p)
	addPasskey(t, ada, adaKey, webauthntest.Ceremony{})
	addPasskey(t, eve, eveKey, webauthntest.Ceremony{})

	b := newBrowser(t, p)
	pwd := passwordStep(t, b, "ada@example.com", appURL)
	if pwd.Doc.Find(`button[value="passkey"]`).Length() != 1 {
		t.Fatalf("no passkey choice on the password step:\n%s", pwd.text())
	}
	pk := b.submit(pwd, prepareForm, map[string]string{"strategy": "passkey"})
	wantText(t, "the passkey step", pk, http.StatusOK, "Use your passkey", "ada@example.com")
	form := `form[action="/sign-in/factor-one"][data-passkey-login]`
	answer := func(k *webauthntest.Key) *page {
		_, opts := b.passkeyOptions("/sign-in/passkey/options", nil)
		return b.submit(pk, form, map[string]string{"challenge_id": webauthntest.ParseOptions(t, opts).ChallengeID,
			"credential": string(k.Get(t, opts, webauthntest.Ceremony{}))})
	}
	wantText(t, "another account's passkey", answer(eveKey), http.StatusUnauthorized, "belongs to another account")
	tok := wantHandBack(t, answer(adaKey), http.StatusSeeOther, appURL)
	if got := fva(t, p, tok); got != [2]int{0, 0} {
		t.Errorf("fva %v", got)
	}

	// An account without passkeys is not offered one (nor is an unknown one).
	other := newBrowser(t, p)
	signUp(t, p, other, "bob@example.com", "")
	for _, who := range []string{"bob@example.com", "nobody@example.com"} {
		if pg := passwordStep(t, newBrowser(t, p), who, ""); pg.Doc.Find(`button[value="passkey"]`).Length() != 0 {
			t.Errorf("%s is offered a passkey", who)
		}
	}
}

// PORTAL_PASSKEY_PROMPT_AFTER_SIGN_UP offers a passkey right after sign-up;
// adding one, or "Not now", goes on to the app.
func TestPasskeyPromptAfterSignUp(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_PASSKEY_PROMPT_AFTER_SIGN_UP": "true"}})
	b := newBrowser(t, p)
	prompt := signUp(t, p, b, "ada@example.com", appURL)
	wantText(t, "after sign-up", prompt, http.StatusOK, "Add a passkey", "Your account is ready")
	noSession(t, "the prompt", prompt)
	skip, _ := prompt.Doc.Find(`footer a:contains("Not now")`).Attr("href")
	if skip != "/sign-in?redirect_url="+url.QueryEscape(appURL) {
		t.Errorf("Not now goes to %q", skip)
	}
	_, opts := b.passkeyOptions("/user/security/passkeys/options", nil)
	k := newKey(t, p)
	done := b.submit(prompt, passkeyAddForm, map[string]string{"challenge_id": webauthntest.ParseOptions(t, opts).ChallengeID,
		"credential": string(k.Create(t, opts, webauthntest.Ceremony{}))})
	wantHandBack(t, done, http.StatusSeeOther, appURL)

	other := newBrowser(t, p)
	prompt = signUp(t, p, other, "bob@example.com", appURL)
	wantHandBack(t, other.follow(other.getRaw(skip)), http.StatusSeeOther, appURL)
}

// A passkey confirms it's you too, renewing both factor ages.
func TestReverifyWithPasskey_REQ_SES_06(t *testing.T) {
	p, clock := startFake(t, portaltest.Options{})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", appURL)
	k := newKey(t, p)
	addPasskey(t, b, k, webauthntest.Ceremony{})
	clock.Advance(11 * time.Minute)
	confirm := b.get("/user/security/passkeys/new")
	wantText(t, "stale", confirm, http.StatusOK, "confirm it's you")
	form := `form[action="/user/verify"][data-passkey-login]`
	if confirm.Doc.Find(form).Length() != 1 || confirm.Doc.Find(`script[src="/static/passkeys.js"]`).Length() != 1 {
		t.Fatalf("no passkey on the confirmation page:\n%s", confirm.Body)
	}
	_, opts := b.passkeyOptions("/sign-in/passkey/options", nil)
	back := b.submit(confirm, form, map[string]string{"challenge_id": webauthntest.ParseOptions(t, opts).ChallengeID,
		"credential": string(k.Get(t, opts, webauthntest.Ceremony{}))})
	if back.URL.Path != "/user/security/passkeys/new" || back.Doc.Find(passkeyAddForm).Length() != 1 {
		t.Fatalf("after the passkey: at %s:\n%s", back.URL, back.text())
	}
	if got := fva(t, p, wantHandBack(t, b.getRaw(handshakePath(appURL)), http.StatusTemporaryRedirect, appURL)); got != [2]int{0, 0} {
		t.Errorf("fva after reverifying with a passkey: %v, want [0 0]", got)
	}
}

// A portal at an IP address cannot use WebAuthn (RP IDs are domain names):
// it starts without passkeys and its pages work without them.
func TestNoPasskeysAtAnIPAddress(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_FACTORS": "password,passkey",
		"PORTAL_BASE_URL": "http://127.0.0.1:1"}})
	b := newBrowser(t, p)
	signUp(t, p, b, "ada@example.com", appURL)
	b.submit(b.get("/sign-out"), signOutForm, nil)
	check := func(path string) {
		pg := b.get(path)
		if pg.Status != http.StatusOK || strings.Contains(pg.Body, "passkeys.js") || strings.Contains(pg.text(), "Add a passkey") {
			t.Errorf("%s at an IP address: %d, passkeys offered:\n%s", path, pg.Status, pg.text())
		}
	}
	check("/sign-in")
	signIn(t, b, "ada@example.com", goodPassword, appURL)
	check("/user/security")
	if pg := b.get("/user/security/passkeys/new"); pg.Status != http.StatusNotFound {
		t.Errorf("/user/security/passkeys/new: %d", pg.Status)
	}
}

// REQ-RL-01/02: wrong passwords lock the password (and codes), not the
// passkey, which cannot be guessed: someone who locks another person's
// password out does not lock them out of their passkey. The operator's lock
// (POST /v1/users/{id}/lock) still refuses it.
func TestPasswordLockoutLeavesThePasskey_REQ_RL_01_REQ_RL_02(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	b := newBrowser(t, p)
	c, _ := verify(t, p, wantHandBack(t, signUp(t, p, b, "ada@example.com", appURL), http.StatusSeeOther, appURL))
	k := newKey(t, p)
	addPasskey(t, b, k, webauthntest.Ceremony{})

	attacker := newBrowser(t, p)
	step := passwordStep(t, attacker, "ada@example.com", "")
	for range lockoutThreshold {
		attacker.submit(step, passwordForm, map[string]string{"password": wrongPassword})
	}
	if pg := signIn(t, newBrowser(t, p), "ada@example.com", goodPassword, appURL); pg.Status == http.StatusSeeOther {
		t.Fatal("the password still works after the lockout (precondition)")
	}
	wantHandBack(t, signInWithPasskey(t, newBrowser(t, p), k, webauthntest.Ceremony{}, appURL), http.StatusSeeOther, appURL)

	if r := api(t, p, http.MethodPost, "/v1/users/"+c.Subject+"/lock", nil, nil); r.Status != http.StatusOK {
		t.Fatalf("lock: %d %s", r.Status, r.Body)
	}
	if pg := signInWithPasskey(t, newBrowser(t, p), k, webauthntest.Ceremony{}, appURL); pg.Status == http.StatusSeeOther {
		t.Errorf("a passkey signed in to an account the operator locked: %d to %q", pg.Status, pg.Header.Get("Location"))
	}
}
