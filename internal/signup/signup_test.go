package signup_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/flow"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/signup"
	"github.com/portalhq/portal/internal/user"
)

// REQ-IN-09: email and password make a sign-up that waits for the emailed
// code — no account, no session, however often a wrong code is tried — and
// the right code creates the user (user.created) and its first session
// (session.created) in one step.
func TestSignUpWithEmailAndPassword_REQ_IN_09(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		client := e.client()
		f := e.mustStart(client, signup.Form{Email: " Ada@Example.com", Password: pw, FirstName: " Ada ", LastName: "Lovelace"})
		if f.Status != flow.MissingRequirements || f.Data.Strategy != flow.EmailCode || f.Data.Email != "ada@example.com" {
			t.Fatalf("Start: status %q strategy %q email %q; want missing_requirements, email_code, normalised",
				f.Status, f.Data.Strategy, f.Data.Email)
		}
		stored := e.load(client, f.ID)
		if stored.Data.PasswordHash == "" || strings.Contains(stored.Data.PasswordHash, pw) {
			t.Errorf("stored flow keeps password as %q, want its hash", stored.Data.PasswordHash)
		}
		code := signUpCode(t, e.mail, "ada@example.com")
		e.noAccount("ada@example.com")

		_, err := e.verify(client, f.ID, otherCode(code))
		wantErr(t, "wrong code", err, apperr.Invalid, "error.code.incorrect_email")
		e.waiting(client, f.ID)
		e.noAccount("ada@example.com")
		if _, err := e.svc.Load(t.Context(), e.client(), f.ID); !errors.Is(err, signup.ErrFlowGone) {
			t.Errorf("another browser loads the sign-up: %v, want ErrFlowGone", err)
		}

		sess, err := e.verify(client, f.ID, code)
		if err != nil || sess == nil {
			t.Fatalf("right code = %v, %v; want a session", sess, err)
		}
		u, err := e.st.Q.UserByIdentifier(t.Context(), user.Email, "ada@example.com")
		if err != nil {
			t.Fatalf("the new account: %v", err)
		}
		if u.FirstName != "Ada" || u.LastName != "Lovelace" || u.PrimaryEmail() != "ada@example.com" ||
			!u.Has(user.Email, "ada@example.com") {
			t.Errorf("user %+v: want Ada Lovelace with ada@example.com verified and primary", u)
		}
		if ok, _, err := e.hasher.Verify(t.Context(), pw, u.PasswordHash); !ok || err != nil {
			t.Errorf("the account's password hash does not verify the password: %v", err)
		}
		if types := e.eventTypes(u.ID); !slices.Equal(types, []string{"user.created"}) {
			t.Errorf("events of the user = %v, want [user.created]", types)
		}
		got, err := e.st.Q.SessionByID(t.Context(), sess.ID)
		if err != nil || got.Status != session.Active || got.UserID != u.ID || got.ClientID == "" || got.ClientID == client {
			t.Errorf("stored session = %+v, %v; want active for the new user on a new client (REQ-SES-02)", got, err)
		}
		if types := e.eventTypes(sess.ID); !slices.Equal(types, []string{"session.created"}) {
			t.Errorf("events of the session = %v, want [session.created]", types)
		}
		done := e.load(client, f.ID)
		if done.Status != flow.Complete || done.UserID != u.ID || done.SessionID != sess.ID || done.Data.PasswordHash != "" {
			t.Errorf("stored flow: status %q user %q session %q hash kept %v; want complete with both, hash dropped",
				done.Status, done.UserID, done.SessionID, done.Data.PasswordHash != "")
		}

		_, err = e.verify(client, f.ID, code)
		wantErr(t, "the code again", err, apperr.Expired, "error.signup.expired")
		wantErr(t, "resend after completion", e.resend(client, f.ID), apperr.Expired, "error.signup.expired")
		if n := e.users(); n != 1 {
			t.Errorf("%d accounts, want 1", n)
		}
	})
}

// REQ-RL-05: signing up with an address that has an account looks the
// same to the visitor as a new address — same status and step, same
// hashing work, same resend cooldown — while the owner is told by email
// and no code leaves. Nothing the visitor can type creates a second account.
func TestSignUpWithTakenEmailRevealsNothing_REQ_RL_05(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		owner := e.owner("owner@example.com")
		type attempt struct {
			client string
			f      *flow.Flow
		}
		start := func(email string) attempt {
			t.Helper()
			client := e.client()
			before := e.hasher.Computations()
			f := e.mustStart(client, signup.Form{Email: email, Password: pw})
			if n := e.hasher.Computations() - before; n != 1 {
				t.Errorf("sign-up as %s: %d argon2 runs, want 1", email, n)
			}
			return attempt{client, f}
		}
		fresh, taken := start("new@example.com"), start("OWNER@example.com")
		for _, a := range []attempt{fresh, taken} {
			if a.f.Status != flow.MissingRequirements || a.f.Data.Strategy != flow.EmailCode {
				t.Errorf("sign-up as %s: status %q strategy %q", a.f.Data.Email, a.f.Status, a.f.Data.Strategy)
			}
		}
		if got := e.mail.Kinds("owner@example.com"); !slices.Equal(got, []string{"existing_account"}) {
			t.Errorf("sent to the owner: %v, want only the existing-account notice", got)
		}

		// The cooldown reads the same for both, and a resend tells the owner again.
		e.clock.Advance(10 * time.Second)
		for _, a := range []attempt{fresh, taken} {
			wantErr(t, "resend after 10 s", e.resend(a.client, a.f.ID), apperr.RateLimited, "error.code.resend_wait")
		}
		e.clock.Advance(flow.ResendAfter)
		for _, a := range []attempt{fresh, taken} {
			if err := e.resend(a.client, a.f.ID); err != nil {
				t.Errorf("resend of %s after 30 s: %v", a.f.Data.Email, err)
			}
		}
		if got := e.mail.Kinds("owner@example.com"); !slices.Equal(got, []string{"existing_account", "existing_account"}) {
			t.Errorf("sent to the owner: %v, want two existing-account notices", got)
		}
		if got := e.mail.Kinds("new@example.com"); !slices.Equal(got, []string{"code", "code"}) {
			t.Errorf("sent to the new address: %v, want two codes", got)
		}

		// The visitor never saw a code; a guess gets them nowhere.
		if _, err := e.verify(taken.client, taken.f.ID, "123456"); err == nil {
			t.Fatal("a guessed code completed the sign-up of a taken address")
		}
		e.waiting(taken.client, taken.f.ID)
		if n := e.users(); n != 1 {
			t.Errorf("%d accounts, want only the owner's", n)
		}
		if types := e.eventTypes(owner.ID); len(types) != 0 {
			t.Errorf("events about the owner: %v", types)
		}
	})
}

// REQ-PW-01, REQ-PW-05: a password the policy refuses is reported on the
// password field, and the form leaves nothing behind: no flow, no code, no
// message, no account, no hashing work.
func TestSignUpRefusedPasswordWritesNothing_REQ_PW_01_REQ_PW_05(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		for _, c := range []struct {
			name, email, password, wantID string
		}{
			{"14 characters", "ada@example.com", "velvet-otter-1", "error.password.too_short"},
			{"common", "ada@example.com", "1qaz2wsx3edc4rfv", "error.password.common"},
			{"the address's local part", "lantern.keeper@example.com", "lantern.keeper-rides-42", "error.password.contains"},
			{"the site's name", "ada@example.com", "my-own-portal-at-home-42", "error.password.contains"},
			{"none", "ada@example.com", "", "error.signup.password_required"},
		} {
			t.Run(c.name, func(t *testing.T) {
				before := e.hasher.Computations()
				f, err := e.start(e.client(), signup.Form{Email: c.email, Password: c.password})
				var fe *signup.FormError
				if !errors.As(err, &fe) || f != nil {
					t.Fatalf("Start = %v, %v; want a form error", f, err)
				}
				if len(fe.Errors) != 1 || fe.Errors[signup.FieldPassword] == nil || fe.Errors[signup.FieldPassword].ID != c.wantID {
					t.Errorf("form errors %v, want only the password's %q", fe.Fields, c.wantID)
				}
				if n := e.hasher.Computations() - before; n != 0 {
					t.Errorf("%d argon2 runs for a refused password", n)
				}
				if f, v, m, u := e.rows("flows"), e.rows("verifications"), e.mail.Count(), e.users(); f+v+m+u != 0 {
					t.Errorf("left behind: %d flows, %d verifications, %d messages, %d accounts", f, v, m, u)
				}
			})
		}
		// The boundary the table stands next to: 15 characters are enough.
		if _, err := e.start(e.client(), signup.Form{Email: "ada@example.com", Password: "velvet-otter-12"}); err != nil {
			t.Errorf("a 15-character password: %v", err)
		}
		if n := e.rows("flows"); n != 1 {
			t.Errorf("%d flows after an accepted form, want 1", n)
		}
	})
}

// REQ-OTP-10, REQ-OTP-03: a new code waits 30 seconds after the last; the
// new one replaces it.
func TestSignUpResendWaits_REQ_OTP_10(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		client := e.client()
		f := e.mustStart(client, signup.Form{Email: "ada@example.com", Password: pw})
		first := signUpCode(t, e.mail, "ada@example.com")

		e.clock.Advance(flow.ResendAfter - time.Second)
		err := e.resend(client, f.ID)
		wantErr(t, "resend after 29 s", err, apperr.RateLimited, "error.code.resend_wait")
		if ae, _ := apperr.As(err); ae == nil || !slices.Equal(ae.Args, []any{"Count", 1}) {
			t.Errorf("resend after 29 s: args %v, want a 1-second wait", ae)
		}
		if n := e.mail.Count(); n != 1 {
			t.Errorf("%d messages after a refused resend, want 1", n)
		}

		e.clock.Advance(time.Second)
		if err := e.resend(client, f.ID); err != nil {
			t.Fatalf("resend after 30 s: %v", err)
		}
		second := signUpCode(t, e.mail, "ada@example.com")
		if second != first { // one time in a million they are the same
			_, err := e.verify(client, f.ID, first)
			wantErr(t, "the replaced code", err, apperr.Invalid, "error.code.incorrect_email")
		}
		if sess, err := e.verify(client, f.ID, second); err != nil || sess == nil {
			t.Errorf("the new code = %v, %v; want a session", sess, err)
		}
	})
}

// REQ-IN-10: two sign-ups of one new address, each verified with its own
// code, make one account; the second is told the address was taken
// meanwhile and gets no session.
func TestSignUpTwiceForOneAddress_REQ_IN_10(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		first, second := e.client(), e.client()
		f1 := e.mustStart(first, signup.Form{Email: "ada@example.com", Password: pw})
		code1 := signUpCode(t, e.mail, "ada@example.com")
		f2 := e.mustStart(second, signup.Form{Email: "ada@example.com", Password: pw})
		code2 := signUpCode(t, e.mail, "ada@example.com")

		if sess, err := e.verify(first, f1.ID, code1); err != nil || sess == nil {
			t.Fatalf("first sign-up = %v, %v", sess, err)
		}
		sess, err := e.verify(second, f2.ID, code2)
		wantErr(t, "second sign-up", err, apperr.Conflict, "error.signup.taken")
		if sess != nil {
			t.Errorf("second sign-up got session %s", sess.ID)
		}
		if n := e.users(); n != 1 {
			t.Errorf("%d accounts for one address, want 1", n)
		}
		if list, err := e.st.Q.ActiveSessionsOfClient(t.Context(), second); err != nil || len(list) != 0 {
			t.Errorf("second browser's sessions = %v, %v; want none", list, err)
		}
		if got := e.load(second, f2.ID); got.Status != flow.MissingRequirements || got.UserID != "" {
			t.Errorf("second flow: status %q user %q; want unchanged", got.Status, got.UserID)
		}
	})
}

// The same form sent again from the same browser a moment later (a double
// click) goes on with the first flow and sends nothing; anything that
// makes it another sign-up (another field, another password, another
// browser, a later moment) starts one of its own.
func TestSameStartGoesOnWithTheFirstFlow(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		client := e.client()
		in := signup.Form{Email: "ada@example.com", Password: pw, FirstName: "Ada", LastName: "Lovelace"}
		first, again, err := e.svc.Start(ctx, client, in, "", meta)
		if err != nil || again {
			t.Fatalf("first Start: again %v, %v", again, err)
		}
		sent := e.mail.Count()

		e.clock.Advance(flow.SameStartWindow - time.Second)
		typed := in
		typed.Email, typed.FirstName = " Ada@Example.com", "Ada " // as typed: the same once normalised
		got, again, err := e.svc.Start(ctx, client, typed, "", meta)
		if err != nil || !again || got.ID != first.ID {
			t.Fatalf("the same form again: flow %v again %v, %v; want %s again", got, again, err, first.ID)
		}
		if n := e.mail.Count(); n != sent {
			t.Errorf("%d messages sent for the same form, want none", n-sent)
		}

		for _, c := range []struct {
			what   string
			client string
			in     signup.Form
			target string
		}{
			{"another password", client, signup.Form{Email: in.Email, Password: pw + "!", FirstName: "Ada", LastName: "Lovelace"}, ""},
			{"another name", client, signup.Form{Email: in.Email, Password: pw, FirstName: "Augusta", LastName: "Lovelace"}, ""},
			{"another redirect", client, in, "http://localhost:3000/after"},
			{"another browser", e.client(), in, ""},
		} {
			f, again, err := e.svc.Start(ctx, c.client, c.in, c.target, meta)
			if err != nil {
				t.Fatalf("%s: %v", c.what, err)
			}
			if again || f.ID == first.ID {
				t.Errorf("%s: went on with the first flow, want a sign-up of its own", c.what)
			}
		}

		e.clock.Advance(2 * time.Second) // the first is past the window
		f, again, err := e.svc.Start(ctx, client, in, "", meta)
		if err != nil || again || f.ID == first.ID {
			t.Errorf("the same form later: flow %v again %v, %v; want a new sign-up", f, again, err)
		}
	})
}

// REQ-RL-05: the same form with a taken address is treated as with a new
// one: it goes on with the first flow, and the owner is told once.
func TestSameStartTellsTheOwnerOnce_REQ_RL_05(t *testing.T) {
	onEngines(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		e.owner("ada@example.com")
		client := e.client()
		in := signup.Form{Email: "ada@example.com", Password: pw, FirstName: "Ada", LastName: "Lovelace"}
		first, _, err := e.svc.Start(ctx, client, in, "", meta)
		if err != nil {
			t.Fatal(err)
		}
		got, again, err := e.svc.Start(ctx, client, in, "", meta)
		if err != nil || !again || got.ID != first.ID {
			t.Fatalf("the same form again: flow %v again %v, %v; want %s again", got, again, err, first.ID)
		}
		if kinds := e.mail.Kinds("ada@example.com"); len(kinds) != 1 {
			t.Errorf("the owner got %v, want one message", kinds)
		}
	})
}
