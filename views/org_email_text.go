package views

import "strings"

// OrgInvitationEmailSubject names who invites and where. Names are one line
// already (validated); line breaks are removed once more because a subject
// is a header (REQ-IN-04).
func OrgInvitationEmailSubject(p OrgInvitationEmail) string {
	s := "You're invited to join " + p.OrgName + " on " + p.AppName
	if p.InviterName != "" {
		s = p.InviterName + " invited you to join " + p.OrgName + " on " + p.AppName
	}
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

func orgInvitationIntro(p OrgInvitationEmail) string {
	who := "You have"
	if p.InviterName != "" {
		who = p.InviterName + " has"
	}
	return who + " invited you to join the organization " + p.OrgName + " on " + p.AppName +
		". Accept to sign in or create your account with this email address."
}

func orgInvitationExpiry(p OrgInvitationEmail) string {
	return "The invitation works once and expires on " + p.Expires + "."
}

func orgInvitationIgnore() string {
	return "If you don't know why you got this, you can ignore this email: nothing happens unless you accept."
}

// OrgInvitationEmailText is the plain-text body of the invitation.
func OrgInvitationEmailText(p OrgInvitationEmail) string {
	var b strings.Builder
	b.WriteString(p.AppName + "\n\n")
	b.WriteString(orgInvitationIntro(p) + "\n\n")
	b.WriteString("Accept the invitation: " + p.URL + "\n\n")
	b.WriteString(orgInvitationExpiry(p) + "\n\n")
	b.WriteString(orgInvitationIgnore() + "\n")
	return b.String()
}
