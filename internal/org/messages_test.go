package org

import (
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/apperr"
)

// Every error a person can see on the organization pages names its
// catalog message, and keeps its English text for logs and the Backend API.
func TestPageErrorsNameTheirMessage(t *testing.T) {
	_, emptyName := CleanName(" ")
	_, longName := CleanName(strings.Repeat("a", MaxNameLen+1))
	_, badName := CleanName("a\x00b")
	_, emptyLogo := CheckLogo(nil)
	_, svg := CheckLogo([]byte("<svg xmlns='http://www.w3.org/2000/svg'/>"))
	_, badEmail := cleanEmails([]string{"not-an-address"})
	_, noEmail := cleanEmails(nil)
	many := make([]string, MaxInvitesAtOnce+1)
	for i := range many {
		many[i] = "p" + strings.Repeat("x", i+1) + "@example.com"
	}
	_, tooMany := cleanEmails(many)
	for name, err := range map[string]error{
		"not found": ErrNotFound, "forbidden": ErrForbidden, "invitation gone": ErrInvitationGone,
		"own role": ErrOwnRole, "last admin": ErrLastAdmin, "last member": ErrLastMember, "member limit": ErrMemberLimit,
		"create disabled": ErrCreateDisabled, "create limit": ErrCreateLimit, "personal": ErrPersonalDisabled,
		"slug taken": ErrSlugTaken, "wrong account": ErrWrongAccount, "already invited": alreadyInvited("a@example.com"),
		"empty slug": CheckSlug(""), "long slug": CheckSlug(strings.Repeat("a", MaxSlugLen+1)), "bad slug": CheckSlug("-a"),
		"empty name": emptyName, "long name": longName, "bad name": badName, "empty logo": emptyLogo, "svg": svg,
		"bad email": badEmail, "no email": noEmail, "too many": tooMany, "remove self": ErrRemoveSelf,
		"invitation resent": invitationResent("Acme"),
	} {
		e, ok := apperr.As(err)
		if !ok {
			t.Errorf("%s: %v is not a safe error", name, err)
			continue
		}
		if !strings.HasPrefix(e.ID, "org.error.") || e.Message == "" {
			t.Errorf("%s: ID %q, message %q", name, e.ID, e.Message)
		}
	}
	if e, _ := apperr.As(tooMany); len(e.Args) != 2 || e.Args[1] != MaxInvitesAtOnce || !strings.Contains(e.Message, "10") {
		t.Errorf("too many: args %v, message %q", e.Args, e.Message)
	}
}
