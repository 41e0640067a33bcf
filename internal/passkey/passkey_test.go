package passkey_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/passkey"
	"github.com/portalhq/portal/internal/testutil/webauthntest"
)

const (
	testRPID    = "example.com" // the parent domain of the origin
	testOrigin  = "https://accounts.example.com"
	chromeLinux = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
	flowID      = "sia_flow"
	msgFailed   = "This passkey couldn't be verified. Try again or use another way to sign in."
)

type fixture struct {
	svc   *passkey.Service
	store *memStore
	clock *clockwork.FakeClock
}

func setup(t *testing.T, edit ...func(*passkey.Config)) *fixture {
	t.Helper()
	cfg := passkey.Config{RPID: testRPID, RPName: "Example", Origins: []string{testOrigin}}
	for _, e := range edit {
		e(&cfg)
	}
	f := &fixture{store: newMemStore(), clock: clockwork.NewFakeClockAt(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))}
	svc, err := passkey.New(cfg, f.clock, f.store)
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func (f *fixture) register(t *testing.T, userID string, k *webauthntest.Key, c webauthntest.Ceremony) (*passkey.Credential, error) {
	t.Helper()
	ctx := context.Background()
	existing, _ := f.store.CredentialsOfUser(ctx, userID)
	opts, challengeID, err := f.svc.BeginRegistration(ctx, passkey.UserInfo{ID: userID, Name: userID + "@example.com"}, existing)
	if err != nil {
		return nil, err
	}
	return f.svc.FinishRegistration(ctx, userID, challengeID, k.Create(t, opts, c), chromeLinux)
}

func (f *fixture) mustRegister(t *testing.T, userID string, k *webauthntest.Key) *passkey.Credential {
	t.Helper()
	cred, err := f.register(t, userID, k, webauthntest.Ceremony{})
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	return cred
}

func (f *fixture) login(t *testing.T, k *webauthntest.Key, c webauthntest.Ceremony) (*passkey.Credential, error) {
	t.Helper()
	ctx := context.Background()
	opts, challengeID, err := f.svc.BeginLogin(ctx, flowID)
	if err != nil {
		t.Fatal(err)
	}
	return f.svc.FinishLogin(ctx, challengeID, flowID, k.Get(t, opts, c))
}

// wantRefused checks err is an apperr with the code and, when given, the message.
func wantRefused(t *testing.T, err error, code apperr.Code, msg string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok {
		t.Fatalf("err = %v, want an *apperr.Error %s", err, code)
	}
	if e.Code != code || (msg != "" && e.Message != msg) {
		t.Fatalf("err = %v, want %s %q", err, code, msg)
	}
}

func TestRegisterThenSignIn(t *testing.T) {
	f := setup(t)
	k := webauthntest.NewKey(t, testOrigin, testRPID)
	cred := f.mustRegister(t, "user_a", k)

	if !bytes.Equal(cred.ID, k.ID) || cred.UserID != "user_a" || cred.Name != "Chrome on Linux" {
		t.Errorf("stored %+v", cred)
	}
	if !cred.BackupEligible || !cred.BackupState || cred.AttestationType != "none" || cred.LastUsedAt != nil {
		t.Errorf("flags/attestation: %+v", cred)
	}
	if strings.Join(cred.Transports, ",") != "internal,hybrid" || !cred.CreatedAt.Equal(f.clock.Now()) {
		t.Errorf("transports/created: %+v", cred)
	}

	f.clock.Advance(time.Minute)
	got, err := f.login(t, k, webauthntest.Ceremony{})
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if got.UserID != "user_a" || got.LastUsedAt == nil || !got.LastUsedAt.Equal(f.clock.Now()) {
		t.Errorf("login returned %+v", got)
	}
	list, _ := f.svc.Passkeys(context.Background(), "user_a")
	if len(list) != 1 || list[0].LastUsedAt == nil {
		t.Errorf("last use not stored: %+v", list)
	}
}

// The options ask for what the portal's policy needs: a discoverable
// credential, user verification, no attestation; and sign-in lists no
// credentials so the authenticator offers the user's passkeys.
func TestOptions(t *testing.T) {
	f := setup(t)
	k := webauthntest.NewKey(t, testOrigin, testRPID)
	f.mustRegister(t, "user_a", k)
	ctx := context.Background()
	existing, _ := f.store.CredentialsOfUser(ctx, "user_a")
	reg, _, err := f.svc.BeginRegistration(ctx, passkey.UserInfo{ID: "user_a", Name: "a@example.com"}, existing)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"challenge_id":"pkc_`, `"rp":{"name":"Example","id":"example.com"}`,
		`"residentKey":"required"`, `"userVerification":"required"`, `"attestation":"none"`,
		`"excludeCredentials":[{"type":"public-key","id":"` + passkey.EncodeID(k.ID) + `"`,
		`"timeout":300000`,
	} {
		if !strings.Contains(string(reg), want) {
			t.Errorf("registration options lack %s:\n%s", want, reg)
		}
	}
	login, _, err := f.svc.BeginLogin(ctx, flowID)
	if err != nil {
		t.Fatal(err)
	}
	// REQ-WA-02: challenges of at least 16 random bytes, new each time.
	c1, _ := base64.RawURLEncoding.DecodeString(webauthntest.ParseOptions(t, reg).PublicKey.Challenge)
	c2, _ := base64.RawURLEncoding.DecodeString(webauthntest.ParseOptions(t, login).PublicKey.Challenge)
	if len(c1) < 16 || len(c2) < 16 || bytes.Equal(c1, c2) {
		t.Errorf("challenges %x and %x", c1, c2)
	}
	if s := string(login); !strings.Contains(s, `"userVerification":"required"`) || strings.Contains(s, "allowCredentials") || !strings.Contains(s, `"rpId":"example.com"`) {
		t.Errorf("login options: %s", login)
	}
}

// Config.Name is read at each registration: the relying party's name the
// authenticator files the passkey under follows the app's name (a theme's
// applicationName) as it is then; the passkey still registers and signs in.
func TestRelyingPartyNameReadAtEachRegistration(t *testing.T) {
	name := "Acme"
	f := setup(t, func(c *passkey.Config) { c.Name = func() string { return name } })
	ctx := context.Background()
	for _, want := range []string{"Acme", "Acme Rockets"} {
		name = want
		reg, _, err := f.svc.BeginRegistration(ctx, passkey.UserInfo{ID: "user_a", Name: "a@example.com"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(reg), `"rp":{"name":"`+want+`","id":"example.com"}`) {
			t.Errorf("registration options name the relying party otherwise than %q:\n%s", want, reg)
		}
	}
	name = "" // nothing to say: Config.RPName
	reg, _, err := f.svc.BeginRegistration(ctx, passkey.UserInfo{ID: "user_a", Name: "a@example.com"}, nil)
	if err != nil || !strings.Contains(string(reg), `"rp":{"name":"Example"`) {
		t.Errorf("without a name: %v\n%s", err, reg)
	}
	name = "Acme Rockets"
	k := webauthntest.NewKey(t, testOrigin, testRPID)
	cred := f.mustRegister(t, "user_b", k)
	if got, err := f.login(t, k, webauthntest.Ceremony{}); err != nil || !bytes.Equal(got.ID, cred.ID) {
		t.Errorf("signing in with it: %v, %v", got, err)
	}
}

// REQ-WA-02: a challenge is deleted on first use, whether that use succeeds.
func TestChallengeIsSingleUse(t *testing.T) {
	f := setup(t)
	k := webauthntest.NewKey(t, testOrigin, testRPID)
	k.Counter = 1
	f.mustRegister(t, "user_a", k)
	ctx := context.Background()

	opts, challengeID, _ := f.svc.BeginLogin(ctx, flowID)
	if _, err := f.svc.FinishLogin(ctx, challengeID, flowID, k.Get(t, opts, webauthntest.Ceremony{})); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.FinishLogin(ctx, challengeID, flowID, k.Get(t, opts, webauthntest.Ceremony{}))
	wantRefused(t, err, apperr.Expired, "")

	// A failed attempt burns the challenge too: no second guess with it.
	opts, challengeID, _ = f.svc.BeginLogin(ctx, flowID)
	_, err = f.svc.FinishLogin(ctx, challengeID, flowID, k.Get(t, opts, webauthntest.Ceremony{Origin: "https://evil.example"}))
	wantRefused(t, err, apperr.Unauthorized, msgFailed)
	_, err = f.svc.FinishLogin(ctx, challengeID, flowID, k.Get(t, opts, webauthntest.Ceremony{}))
	wantRefused(t, err, apperr.Expired, "")

	// Registration likewise.
	reg, regID, _ := f.svc.BeginRegistration(ctx, passkey.UserInfo{ID: "user_b", Name: "b"}, nil)
	k2 := webauthntest.NewKey(t, testOrigin, testRPID)
	if _, err := f.svc.FinishRegistration(ctx, "user_b", regID, k2.Create(t, reg, webauthntest.Ceremony{}), ""); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.FinishRegistration(ctx, "user_b", regID, webauthntest.NewKey(t, testOrigin, testRPID).Create(t, reg, webauthntest.Ceremony{}), "")
	wantRefused(t, err, apperr.Expired, "")
}

// REQ-WA-02: the response must sign the challenge the server issued.
func TestChallengeMustMatch(t *testing.T) {
	f := setup(t)
	k := webauthntest.NewKey(t, testOrigin, testRPID)
	f.mustRegister(t, "user_a", k)
	_, err := f.login(t, k, webauthntest.Ceremony{Challenge: bytes.Repeat([]byte{7}, 32)})
	wantRefused(t, err, apperr.Unauthorized, msgFailed)
}

// REQ-WA-02: challenges expire with the ceremony and are bound to their
// flow (sign-in) or user (registration).
func TestChallengeExpiresAndIsBound(t *testing.T) {
	f := setup(t, func(c *passkey.Config) { c.Timeout = 2 * time.Minute })
	k := webauthntest.NewKey(t, testOrigin, testRPID)
	f.mustRegister(t, "user_a", k)
	ctx := context.Background()

	opts, challengeID, _ := f.svc.BeginLogin(ctx, flowID)
	f.clock.Advance(2 * time.Minute)
	_, err := f.svc.FinishLogin(ctx, challengeID, flowID, k.Get(t, opts, webauthntest.Ceremony{}))
	wantRefused(t, err, apperr.Expired, "")

	opts, challengeID, _ = f.svc.BeginLogin(ctx, flowID)
	_, err = f.svc.FinishLogin(ctx, challengeID, "sia_other", k.Get(t, opts, webauthntest.Ceremony{}))
	wantRefused(t, err, apperr.Unauthorized, msgFailed)

	reg, regID, _ := f.svc.BeginRegistration(ctx, passkey.UserInfo{ID: "user_a", Name: "a"}, nil)
	_, err = f.svc.FinishRegistration(ctx, "user_b", regID, webauthntest.NewKey(t, testOrigin, testRPID).Create(t, reg, webauthntest.Ceremony{}), "")
	wantRefused(t, err, apperr.Unauthorized, "")

	// A registration challenge cannot finish a sign-in.
	reg, regID, _ = f.svc.BeginRegistration(ctx, passkey.UserInfo{ID: "user_a", Name: "a"}, nil)
	_, err = f.svc.FinishLogin(ctx, regID, flowID, k.Get(t, reg, webauthntest.Ceremony{}))
	wantRefused(t, err, apperr.Unauthorized, msgFailed)

	if _, _, err := f.svc.BeginLogin(ctx, ""); err == nil {
		t.Error("BeginLogin without a flow ID succeeded")
	}
}

// REQ-WA-01, 03, 04, 05, 06, 07: what go-webauthn verifies is switched on, in
// both ceremonies.
func TestResponsesThatMustFail(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    webauthntest.Ceremony
	}{
		{"REQ-WA-01 wrong type", webauthntest.Ceremony{Type: "payment.get"}},
		{"REQ-WA-03 other origin", webauthntest.Ceremony{Origin: "https://evil.example"}},
		{"REQ-WA-03 origin's parent", webauthntest.Ceremony{Origin: "https://example.com"}},
		{"REQ-WA-03 http instead of https", webauthntest.Ceremony{Origin: "http://accounts.example.com"}},
		{"REQ-WA-03 cross-origin iframe", webauthntest.Ceremony{CrossOrigin: true}},
		{"REQ-WA-04 rpIdHash of another domain", webauthntest.Ceremony{RPID: "evil.example"}},
		{"REQ-WA-04 rpIdHash of the origin's host", webauthntest.Ceremony{RPID: "accounts.example.com"}},
		{"REQ-WA-05 UV missing", webauthntest.Ceremony{Flags: webauthntest.FlagUP | webauthntest.FlagBE}},
		{"REQ-WA-05 UP missing", webauthntest.Ceremony{Flags: webauthntest.FlagUV | webauthntest.FlagBE}},
		{"REQ-WA-06 BS without BE", webauthntest.Ceremony{Flags: webauthntest.FlagUP | webauthntest.FlagUV | webauthntest.FlagBS}},
	} {
		t.Run("register/"+tc.name, func(t *testing.T) {
			f := setup(t)
			c := tc.c
			if c.Type != "" {
				c.Type = "payment.create"
			}
			_, err := f.register(t, "user_a", webauthntest.NewKey(t, testOrigin, testRPID), c)
			wantRefused(t, err, apperr.Invalid, "This passkey couldn't be added. Try again.")
			if n, _ := f.store.CredentialsOfUser(context.Background(), "user_a"); len(n) != 0 {
				t.Error("credential stored")
			}
		})
		t.Run("login/"+tc.name, func(t *testing.T) {
			f := setup(t)
			k := webauthntest.NewKey(t, testOrigin, testRPID)
			f.mustRegister(t, "user_a", k)
			_, err := f.login(t, k, tc.c)
			wantRefused(t, err, apperr.Unauthorized, msgFailed)
		})
	}
}

// REQ-WA-07: the key's algorithm must be one the options offered (ESP256,
// -9, is not among go-webauthn's defaults).
func TestAlgorithmNotRequested(t *testing.T) {
	f := setup(t)
	_, err := f.register(t, "user_a", webauthntest.NewKey(t, testOrigin, testRPID), webauthntest.Ceremony{Alg: -9})
	wantRefused(t, err, apperr.Invalid, "")
	if !strings.Contains(err.Error(), "algorithm not supported") {
		t.Errorf("refused for another reason: %v", err)
	}
}

// REQ-WA-06 at sign-in: BS without BE is refused, and so is a BE flag that
// differs from the one registered.
func TestBackupFlagsAtSignIn(t *testing.T) {
	f := setup(t)
	k := webauthntest.NewKey(t, testOrigin, testRPID)
	if _, err := f.register(t, "user_a", k, webauthntest.Ceremony{Flags: webauthntest.FlagUP | webauthntest.FlagUV}); err != nil {
		t.Fatal(err)
	}
	for _, flags := range []byte{webauthntest.FlagUP | webauthntest.FlagUV | webauthntest.FlagBS, webauthntest.FlagUP | webauthntest.FlagUV | webauthntest.FlagBE} {
		_, err := f.login(t, k, webauthntest.Ceremony{Flags: flags})
		wantRefused(t, err, apperr.Unauthorized, msgFailed)
	}
	if _, err := f.login(t, k, webauthntest.Ceremony{Flags: webauthntest.FlagUP | webauthntest.FlagUV}); err != nil {
		t.Fatal(err)
	}

	// BS may change for a backup-eligible passkey; the new state is stored.
	synced := webauthntest.NewKey(t, testOrigin, testRPID)
	if _, err := f.register(t, "user_b", synced, webauthntest.Ceremony{Flags: webauthntest.FlagUP | webauthntest.FlagUV | webauthntest.FlagBE}); err != nil {
		t.Fatal(err)
	}
	got, err := f.login(t, synced, webauthntest.Ceremony{})
	if err != nil || !got.BackupState {
		t.Fatalf("login: %v %+v", err, got)
	}
	if stored, _ := f.store.CredentialByID(context.Background(), synced.ID); !stored.BackupState {
		t.Error("backup state not stored")
	}
}

// REQ-WA-07: a credential ID already registered, to anyone, is refused.
func TestCredentialRegisteredTwice(t *testing.T) {
	f := setup(t)
	k := webauthntest.NewKey(t, testOrigin, testRPID)
	f.mustRegister(t, "user_a", k)
	for _, user := range []string{"user_a", "user_b"} {
		_, err := f.register(t, user, k, webauthntest.Ceremony{})
		wantRefused(t, err, apperr.Conflict, "This passkey is already registered.")
	}
	if owner, _ := f.store.CredentialByID(context.Background(), k.ID); owner.UserID != "user_a" {
		t.Errorf("credential now belongs to %s", owner.UserID)
	}
}

// REQ-WA-08: a discoverable sign-in's userHandle must be the credential's owner.
func TestUserHandleOfAnotherUser(t *testing.T) {
	f := setup(t)
	k := webauthntest.NewKey(t, testOrigin, testRPID)
	f.mustRegister(t, "user_a", k)
	f.mustRegister(t, "user_b", webauthntest.NewKey(t, testOrigin, testRPID))
	for _, handle := range [][]byte{[]byte("user_b"), []byte("user_nobody")} {
		_, err := f.login(t, k, webauthntest.Ceremony{UserHandle: handle})
		wantRefused(t, err, apperr.Unauthorized, msgFailed)
	}
}

func TestUnknownCredentialOrBadSignature(t *testing.T) {
	f := setup(t)
	k := webauthntest.NewKey(t, testOrigin, testRPID)
	f.mustRegister(t, "user_a", k)

	stranger := webauthntest.NewKey(t, testOrigin, testRPID)
	stranger.UserHandle = []byte("user_a")
	_, err := f.login(t, stranger, webauthntest.Ceremony{})
	wantRefused(t, err, apperr.Unauthorized, msgFailed)

	// Same credential ID, another key: the signature does not verify.
	impostor := webauthntest.NewKey(t, testOrigin, testRPID)
	impostor.ID, impostor.UserHandle = k.ID, k.UserHandle
	_, err = f.login(t, impostor, webauthntest.Ceremony{})
	wantRefused(t, err, apperr.Unauthorized, msgFailed)
}

// REQ-WA-09: a counter that does not move forwards fails the sign-in with
// ErrCloneWarning and leaves the stored counter alone; counters that stay
// at zero (synced passkeys) are fine.
func TestSignatureCounter(t *testing.T) {
	f := setup(t)
	k := webauthntest.NewKey(t, testOrigin, testRPID)
	k.Counter = 5
	f.mustRegister(t, "user_a", k)

	if got, err := f.login(t, k, webauthntest.Ceremony{}); err != nil || got.SignCount != 6 {
		t.Fatalf("login with counter 6: %v, %+v", err, got)
	}
	for _, c := range []uint32{6, 3, 0} {
		_, err := f.login(t, k, webauthntest.Ceremony{Counter: &c})
		wantRefused(t, err, apperr.Unauthorized, msgFailed)
		if !errors.Is(err, passkey.ErrCloneWarning) {
			t.Errorf("counter %d: err = %v, want ErrCloneWarning in the chain", c, err)
		}
	}
	if stored, _ := f.store.CredentialByID(context.Background(), k.ID); stored.SignCount != 6 {
		t.Errorf("stored counter = %d, want 6", stored.SignCount)
	}
	if _, err := f.login(t, k, webauthntest.Ceremony{}); err != nil {
		t.Errorf("login with counter 7: %v", err)
	}

	synced := webauthntest.NewKey(t, testOrigin, testRPID)
	f.mustRegister(t, "user_b", synced)
	for range 2 {
		if _, err := f.login(t, synced, webauthntest.Ceremony{}); err != nil {
			t.Fatalf("zero counter: %v", err)
		}
	}
}

func TestMaxPerUser(t *testing.T) {
	f := setup(t, func(c *passkey.Config) { c.MaxPerUser = 2 })
	ctx := context.Background()
	f.mustRegister(t, "user_a", webauthntest.NewKey(t, testOrigin, testRPID))
	// Two registrations started side by side with room for one.
	existing, _ := f.store.CredentialsOfUser(ctx, "user_a")
	u := passkey.UserInfo{ID: "user_a", Name: "a"}
	opts1, id1, err1 := f.svc.BeginRegistration(ctx, u, existing)
	opts2, id2, err2 := f.svc.BeginRegistration(ctx, u, existing)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if _, err := f.svc.FinishRegistration(ctx, "user_a", id1, webauthntest.NewKey(t, testOrigin, testRPID).Create(t, opts1, webauthntest.Ceremony{}), chromeLinux); err != nil {
		t.Fatal(err)
	}
	const full = "You already have 2 passkeys. Remove one to add another."
	_, err := f.svc.FinishRegistration(ctx, "user_a", id2, webauthntest.NewKey(t, testOrigin, testRPID).Create(t, opts2, webauthntest.Ceremony{}), chromeLinux)
	wantRefused(t, err, apperr.Conflict, full)
	_, err = f.register(t, "user_a", webauthntest.NewKey(t, testOrigin, testRPID), webauthntest.Ceremony{})
	wantRefused(t, err, apperr.Conflict, full)
	if f.svc.MaxPerUser() != 2 {
		t.Error("MaxPerUser")
	}
}

// REQ-WA-10: users list, rename and remove their own passkeys, and only theirs.
func TestListRenameRemove(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	first := f.mustRegister(t, "user_a", webauthntest.NewKey(t, testOrigin, testRPID))
	f.clock.Advance(time.Hour)
	second := f.mustRegister(t, "user_a", webauthntest.NewKey(t, testOrigin, testRPID))
	if second.Name != "Chrome on Linux 2" {
		t.Errorf("second passkey named %q", second.Name)
	}

	list, err := f.svc.Passkeys(ctx, "user_a")
	if err != nil || len(list) != 2 || !bytes.Equal(list[0].ID, first.ID) {
		t.Fatalf("list: %v %+v", err, list)
	}

	if err := f.svc.Rename(ctx, "user_a", first.ID, "  Work\tlaptop  "); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.store.CredentialByID(ctx, first.ID); got.Name != "Work laptop" {
		t.Errorf("renamed to %q", got.Name)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("x", passkey.MaxNameLength+1), "a\x00b"} {
		err := f.svc.Rename(ctx, "user_a", first.ID, bad)
		if e, ok := apperr.As(err); !ok || e.Field != "name" {
			t.Errorf("Rename(%q) = %v, want a field error", bad, err)
		}
	}

	wantRefused(t, f.svc.Rename(ctx, "user_b", first.ID, "Mine"), apperr.NotFound, "That passkey no longer exists.")
	wantRefused(t, f.svc.Remove(ctx, "user_b", first.ID), apperr.NotFound, "")
	if err := f.svc.Remove(ctx, "user_a", first.ID); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, f.svc.Remove(ctx, "user_a", first.ID), apperr.NotFound, "")
	if list, _ := f.svc.Passkeys(ctx, "user_a"); len(list) != 1 {
		t.Errorf("after remove: %d passkeys", len(list))
	}

	id, err := passkey.DecodeID(passkey.EncodeID(second.ID))
	if err != nil || !bytes.Equal(id, second.ID) {
		t.Errorf("ID round trip: %v", err)
	}
	if _, err := passkey.DecodeID("not base64!"); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("DecodeID of junk: %v", err)
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, cfg := range []passkey.Config{
		{RPID: "example.com"}, // no origins
		{RPID: "https://example.com/path", Origins: []string{testOrigin}}, // not a domain
	} {
		if _, err := passkey.New(cfg, clockwork.NewFakeClock(), newMemStore()); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}

// REQ-WA-02, REQ-WA-09: requests racing with one challenge, or with one
// counter value, let a single sign-in through.
func TestRacingSignIns(t *testing.T) {
	f := setup(t)
	k := webauthntest.NewKey(t, testOrigin, testRPID)
	k.Counter = 1
	f.mustRegister(t, "user_a", k)
	ctx := context.Background()

	race := func(challengeIDs []string, responses [][]byte) int {
		results := make(chan error, len(responses))
		for i := range responses {
			go func() {
				_, err := f.svc.FinishLogin(ctx, challengeIDs[i], flowID, responses[i])
				results <- err
			}()
		}
		ok := 0
		for range responses {
			if <-results == nil {
				ok++
			}
		}
		return ok
	}

	opts, challengeID, _ := f.svc.BeginLogin(ctx, flowID)
	same := k.Get(t, opts, webauthntest.Ceremony{})
	if ok := race([]string{challengeID, challengeID}, [][]byte{same, same}); ok != 1 {
		t.Errorf("one challenge: %d of 2 sign-ins succeeded", ok)
	}

	counter := k.Counter + 1
	opts1, id1, _ := f.svc.BeginLogin(ctx, flowID)
	opts2, id2, _ := f.svc.BeginLogin(ctx, flowID)
	responses := [][]byte{k.Get(t, opts1, webauthntest.Ceremony{Counter: &counter}), k.Get(t, opts2, webauthntest.Ceremony{Counter: &counter})}
	if ok := race([]string{id1, id2}, responses); ok != 1 {
		t.Errorf("one counter value: %d of 2 sign-ins succeeded", ok)
	}
}
