package config

import (
	"reflect"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/restrict"
	"github.com/portalhq/portal/internal/user"
)

func TestRestrictionsLoadFromEveryLayer(t *testing.T) {
	path := writeFile(t, "allowlist: [\"@corp.example\", \"+44 20 7946 0958\"]\nblock_email_subaddresses: true\n")
	c, err := load([]string{"--blocklist=mallory@corp.example, 415 555 0100"},
		map[string]string{"PORTAL_CONFIG": path, "PORTAL_PHONE_DEFAULT_REGION": "US"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Allowlist, []string{"@corp.example", "+44 20 7946 0958"}) ||
		!reflect.DeepEqual(c.Blocklist, []string{"mallory@corp.example", "415 555 0100"}) || !c.BlockEmailSubaddresses {
		t.Fatalf("allowlist %q, blocklist %q, subaddresses %v", c.Allowlist, c.Blocklist, c.BlockEmailSubaddresses)
	}
	rules, err := c.Restrictions()
	if err != nil {
		t.Fatal(err)
	}
	// The blocklist's national number is read in the default region.
	if !rules.Block.Matches(user.Phone, "+14155550100") || !rules.Allow.Matches(user.Phone, "+442079460958") ||
		!rules.Allow.Matches(user.Email, "ada@corp.example") || checkNew(t, rules, user.Email, "ada+x@corp.example") == nil {
		t.Errorf("rules were not built from the settings: %+v", rules)
	}
}

func TestRestrictionsDefaultToNone(t *testing.T) {
	c, err := load(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := c.Restrictions()
	if err != nil {
		t.Fatal(err)
	}
	if !rules.Allow.Empty() || !rules.Block.Empty() || rules.BlockSubaddresses {
		t.Errorf("default rules restrict something: %+v", rules)
	}
	if checkNew(t, rules, user.Email, "ada+x@example.com") != nil {
		t.Error("subaddresses refused by default")
	}
}

func TestBadRestrictionEntriesStopStartUp(t *testing.T) {
	mustFail(t, nil, map[string]string{"PORTAL_ALLOWLIST": "ada@example.com, @exa mple.com"},
		`PORTAL_ALLOWLIST: "@exa mple.com" is not a domain (write ada@example.com, @example.com, +14155550100 or a username)`)
	mustFail(t, nil, map[string]string{"PORTAL_BLOCKLIST": "+1 999"},
		`PORTAL_BLOCKLIST: "+1 999" is not a phone number: This phone number isn't valid.`)
	// Without a default region a national number with punctuation is
	// neither a number nor a username; the message says how to write it.
	mustFail(t, nil, map[string]string{"PORTAL_BLOCKLIST": "(415) 555-0100"},
		`PORTAL_BLOCKLIST: "(415) 555-0100" is not a phone number: Start the number with + and its country code`)
	mustFail(t, nil, map[string]string{"PORTAL_BLOCK_EMAIL_SUBADDRESSES": "sometimes"},
		`PORTAL_BLOCK_EMAIL_SUBADDRESSES: "sometimes" is not true or false`)
}

// checkNew is a decision of the configured lists, which cannot fail.
func checkNew(t *testing.T, r *restrict.Rules, kind, value string) *apperr.Error {
	t.Helper()
	e, err := r.CheckNew(t.Context(), kind, value)
	if err != nil {
		t.Fatal(err)
	}
	return e
}
