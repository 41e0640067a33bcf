package social_test

import (
	"testing"
)

// REQ-OA-05, REQ-IN-06: a provider vouches for the address it sent, byte
// for byte, not for what the portal folds it to. strings.ToLower turns the
// Kelvin sign (U+212A) into "k" and a dotted capital I (U+0130) into "i",
// so "\u212Aate@example.com" — a different mailbox, which someone else can
// own and have a provider verify — must not link to kate@example.com's
// account, nor sign anyone in to it. The portal's own forms take only ASCII
// addresses (notify.ValidAddress); a provider's address is held to the same
// rule before it may name an account.
func TestLinkByEmailNeedsTheAddressAsTheAccountHasIt_REQ_OA_05(t *testing.T) {
	for _, email := range []string{
		"\u212Aate@example.com",  // Kelvin sign
		"kate@\u212Axample.com",  // in the domain (not in the account's, but folds to it)
		"kat\u0130e@example.com", // dotted capital I -> i (the account below is "katie@")
		"KATE@EXAMPLE.COM\u212A", // folds to a different address: simply unknown
	} {
		t.Run(email, func(t *testing.T) {
			onEngines(t, func(t *testing.T, e *env) {
				kate := e.person("kate@example.com", true)
				katie := e.person("katie@example.com", true)
				kxample := e.person("kate@kxample.com", true)
				who := github("666", email, true)
				res, err := e.signIn(who)
				if err == nil && res.Session != nil {
					for _, u := range []string{kate.ID, katie.ID, kxample.ID} {
						if res.Session.UserID == u {
							t.Fatalf("a provider account with %q signed in to %s", email, u)
						}
					}
				}
				for _, u := range []string{kate.ID, katie.ID, kxample.ID} {
					if owner := e.owner(who); owner == u {
						t.Fatalf("a provider account with %q was linked to %s", email, u)
					}
				}
			})
		})
	}
}
