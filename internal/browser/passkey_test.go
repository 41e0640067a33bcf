package browser

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// addAuthenticator plugs a virtual platform authenticator into the tab
// (the WebAuthn domain of the DevTools protocol): it holds passkeys,
// verifies the user and needs no touch.
func (b *tab) addAuthenticator() webauthn.AuthenticatorID {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		b.fatalf("enable WebAuthn: %v", err)
	}
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
			Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true,
			HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		},
	})
	if err != nil {
		b.fatalf("add virtual authenticator: %v", err)
	}
	return res.AuthenticatorID
}

// credentials lists what the virtual authenticator holds.
func (b *tab) credentials(id webauthn.AuthenticatorID) []*webauthn.Credential {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	res, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: id})
	if err != nil {
		b.fatalf("credentials: %v", err)
	}
	return res.Credentials
}

// runThenWaitFor runs action and waits until the tab has arrived at a URL
// starting with prefix and the page is ready. passkeys.js posts, waits for
// the authenticator and then submits, so the navigation starts some time
// after the click; RunResponse would miss it.
func (b *tab) runThenWaitFor(step string, action chromedp.Action[chromedp.Void], prefix string) {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	if action != nil {
		if _, err := chromedp.Run(ctx, action); err != nil {
			b.fatalf("%s: %v", step, err)
		}
	}
	for {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			b.fatalf("%s: waiting for %s: %v", step, prefix, err)
		}
		ready, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete"`))
		if strings.HasPrefix(loc, prefix) && ready {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// jsClick clicks from script: while an autofill request is pending,
// Chromium does not acknowledge a mouse event sent over DevTools.
func jsClick(css string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](`document.querySelector(` + jsString(css) + `).click()`)
}

// TestPasskeyJourney: with Chromium's virtual authenticator, a person adds a
// passkey from /user/security, signs out, signs in with the "Sign in with a
// passkey" button, signs out, signs in through the identifier field's
// autofill (conditional mediation), then renames and removes the passkey.
// Each sign-in lands on the relying app, which verifies the token against
// the JWKS.
func TestPasskeyJourney(t *testing.T) {
	t.Parallel()
	w := start(t, nil)
	b := w.b
	auth := b.addAuthenticator()
	userID := w.signUp()

	// /user links to the security page; adding a passkey is one click
	// (the sign-up just now counts as a recent verification).
	b.open(w.p.URL + "/user")
	b.load("open Security", chromedp.Click(chromedp.CSS(`a[href="/user/security"]`)))
	b.expectPage("Security · Portal", "Security")
	b.load("click Add a passkey", chromedp.Click(chromedp.CSS(`a[href="/user/security/passkeys/new"]`)))
	b.expectPage("Add a passkey · Portal", "Add a passkey")
	b.runThenWaitFor("create the passkey", chromedp.Click(chromedp.CSS(`form[data-passkey-register] button`)),
		w.p.URL+"/user/security?done=passkey-added")
	if got := b.text(".cl-alert--success"); !strings.Contains(got, "Your passkey is ready") {
		b.fatalf("notice %q", got)
	}
	if got := b.text(".cl-passkeyName"); got != "Chrome on Linux" {
		b.fatalf("passkey named %q, want it named after the browser", got)
	}
	if creds := b.credentials(auth); len(creds) != 1 || !creds[0].IsResidentCredential || string(creds[0].UserHandle) == "" {
		b.fatalf("authenticator holds %+v, want one discoverable credential", creds)
	}
	w.signOut()

	// Every WebAuthn request the portal's pages make is noted, with its
	// mediation, in the portal origin's sessionStorage.
	b.beforeEachPage(`(function () {
  var get = navigator.credentials.get.bind(navigator.credentials);
  navigator.credentials.get = function (o) {
    var seen = JSON.parse(sessionStorage.getItem("gets") || "[]");
    seen.push(o.mediation || "modal");
    sessionStorage.setItem("gets", JSON.stringify(seen));
    return get(o);
  };
})();`)

	// The button, in a browser without autofill for passkeys: the page
	// falls back to the button alone.
	noAutofill := b.beforeEachPage(`PublicKeyCredential.isConditionalMediationAvailable = function () { return Promise.resolve(false); };`)
	b.load("click Sign in on the app", chromedp.Click(chromedp.ID("sign-in")))
	w.expectIdentifierPage()
	b.runThenWaitFor("sign in with the passkey button", chromedp.Click(chromedp.CSS(`form[data-passkey-login] button`)), w.app.URL)
	w.expectSignedIn(userID)
	b.forget(noAutofill)
	w.signOut()

	// Autofill: the page asks for passkeys for the identifier field as it
	// loads; the virtual authenticator picks the one offered at once, as a
	// person choosing it from the field's suggestions would.
	b.load("click Sign in on the app", chromedp.Click(chromedp.ID("sign-in")))
	b.runThenWaitFor("sign in through autofill", nil, w.app.URL)
	w.expectSignedIn(userID)
	b.open(w.p.URL + "/user/security")
	ctx, cancel := b.bounded()
	gets, err := chromedp.Run(ctx, chromedp.Evaluate[string](`sessionStorage.getItem("gets")`))
	cancel()
	if err != nil || gets != `["modal","conditional"]` {
		b.fatalf("WebAuthn requests made: %s (%v), want the button's modal one, then autofill's conditional one", gets, err)
	}

	// Rename, then remove (a password remains, so it may go).
	b.open(w.p.URL + "/user/security")
	if b.eval(`String(document.querySelector(".cl-passkeyRename input[name=name]").checkVisibility())`) != "false" {
		b.fatalf("the rename box shows the name a second time before Rename is pressed")
	}
	b.do("open Rename", chromedp.Click(chromedp.CSS(`.cl-passkeyRename summary`)))
	b.do("clear the name", chromedp.Evaluate[chromedp.Void](`document.querySelector(".cl-passkeyRename input[name=name]").value = ""`))
	b.do("type a name", chromedp.SendKeys(chromedp.CSS(`.cl-passkeyRename input[name=name]`), "Work laptop"))
	b.load("rename", chromedp.Click(chromedp.CSS(`.cl-passkeyRename button`)))
	if got := b.text(".cl-passkeyName"); got != "Work laptop" {
		b.fatalf("renamed to %q", got)
	}
	if used := b.text(".cl-passkeyMeta"); !strings.Contains(used, "Last used") {
		b.fatalf("the list does not say when it was last used: %q", used)
	}
	b.load("click Remove", chromedp.Click(chromedp.CSS(`a[aria-label="Remove Work laptop"]`)))
	b.expectPage("Remove passkey · Portal", "Remove passkey?")
	b.load("confirm", chromedp.Click(chromedp.CSS(`.cl-main form button[type=submit]`)))
	b.expectURL(w.p.URL + "/user/security?done=passkey-removed")
	ctx, cancel = b.bounded()
	defer cancel()
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("[data-testid=passkey]").length`)); n != 0 {
		b.fatalf("%d passkeys listed after removing", n)
	}
	if creds, _ := w.p.Store.Q.CredentialsOfUser(context.Background(), userID); len(creds) != 0 {
		t.Errorf("store still holds %d passkeys", len(creds))
	}
}

// beforeEachPage runs script in every page the tab loads from now on,
// before the page's own scripts; forget stops it.
func (b *tab) beforeEachPage(script string) page.ScriptIdentifier {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	res, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script})
	if err != nil {
		b.fatalf("add script: %v", err)
	}
	return res.Identifier
}

func (b *tab) forget(id page.ScriptIdentifier) {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	if _, err := chromedp.Call(ctx, page.RemoveScriptToEvaluateOnNewDocument, page.RemoveScriptToEvaluateOnNewDocumentParams{Identifier: id}); err != nil {
		b.fatalf("remove script: %v", err)
	}
}
