package user

import (
	"testing"
	"time"
)

// CanSignIn is the rule every removal of a sign-in method keeps: an
// identifier the instance lets people type, and a factor that works for
// the account; or a connected provider account.
func TestCanSignIn(t *testing.T) {
	now := time.Now()
	email := Identifier{ID: "idn_e", Kind: Email, Value: "ada@example.com", VerifiedAt: &now}
	unverified := Identifier{ID: "idn_u", Kind: Email, Value: "ada@old.example"}
	phone := Identifier{ID: "idn_p", Kind: Phone, Value: "+14155550100", VerifiedAt: &now}
	username := Identifier{ID: "idn_n", Kind: Username, Value: "ada"}
	all := SignInOptions{Email: true, Phone: true, Username: true, Factors: []string{"password", "email_code", "phone_code"}}
	cases := []struct {
		name string
		u    User
		o    SignInOptions
		want bool
	}{
		{"email and password", User{PasswordHash: "h", Identifiers: []Identifier{email}}, all, true},
		{"email, passwordless", User{Identifiers: []Identifier{email}}, SignInOptions{Email: true, Factors: []string{"email_link"}}, true},
		{"password but nothing to type", User{PasswordHash: "h"}, all, false},
		{"unverified email only", User{PasswordHash: "h", Identifiers: []Identifier{unverified}}, all, false},
		{"email the instance does not take", User{PasswordHash: "h", Identifiers: []Identifier{email}},
			SignInOptions{Phone: true, Factors: []string{"password"}}, false},
		{"phone without a factor for it", User{Identifiers: []Identifier{phone}},
			SignInOptions{Phone: true, Factors: []string{"password", "email_code"}}, false},
		{"phone with texted codes", User{Identifiers: []Identifier{phone}}, all, true},
		{"username and password", User{PasswordHash: "h", Identifiers: []Identifier{username}}, all, true},
		{"username without password", User{Identifiers: []Identifier{username}}, all, false},
		{"provider account only", User{ExternalAccounts: []ExternalAccount{{ID: "eac_1"}}}, all, true},
		{"passkey only", User{Passkeys: 1}, SignInOptions{Email: true, Factors: []string{"password", "passkey"}}, true},
		{"passkey the instance turned off", User{Passkeys: 1, PasswordHash: "h"}, all, false},
		{"no passkey left", User{}, SignInOptions{Factors: []string{"passkey"}}, false},
	}
	for _, c := range cases {
		if got := c.u.CanSignIn(c.o); got != c.want {
			t.Errorf("%s: CanSignIn = %v, want %v", c.name, got, c.want)
		}
	}
	u := User{PasswordHash: "h", PrimaryEmailID: "idn_e", PrimaryPhoneID: "idn_p", Identifiers: []Identifier{email, phone}}
	if w := u.Without("idn_p"); len(w.Identifiers) != 1 || w.PrimaryPhoneID != "" || len(u.Identifiers) != 2 {
		t.Errorf("Without: %+v (original %+v)", w, u)
	}
	if !u.Without("idn_p").CanSignIn(all) || u.Without("idn_e").Without("idn_p").CanSignIn(all) {
		t.Error("Without does not change what CanSignIn sees")
	}
}

func TestInitials(t *testing.T) {
	for _, c := range []struct {
		u    User
		want string
	}{
		{User{FirstName: "ada", LastName: "Lovelace"}, "AL"},
		{User{FirstName: " Émile "}, "É"},
		{User{Identifiers: []Identifier{{Kind: Email, Value: "grace@example.com"}}}, "G"},
		{User{}, ""},
	} {
		if got := c.u.Initials(); got != c.want {
			t.Errorf("Initials(%+v) = %q, want %q", c.u, got, c.want)
		}
	}
}

func TestAccountName(t *testing.T) {
	now := time.Now()
	email := Identifier{ID: "idn_e", Kind: Email, Value: "ada@example.com", VerifiedAt: &now}
	phone := Identifier{ID: "idn_p", Kind: Phone, Value: "+14155550100", VerifiedAt: &now}
	username := Identifier{ID: "idn_n", Kind: Username, Value: "ada"}
	for want, ids := range map[string][]Identifier{
		"ada@example.com": {phone, username, email},
		"ada":             {phone, username},
		"+14155550100":    {phone},
		"":                nil,
	} {
		u := User{Identifiers: ids}
		if got := u.AccountName(); got != want {
			t.Errorf("AccountName of %v = %q, want %q", ids, got, want)
		}
	}
}
