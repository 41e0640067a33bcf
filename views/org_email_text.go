package views

// OrgInvitationEmailSubject names who invites and where. The names are
// people's, shown through shownName; line breaks are removed once more
// because a subject is a header (REQ-IN-04).
func OrgInvitationEmailSubject(p OrgInvitationEmail) string {
	org, inviter := shownName(p.OrgName), shownName(p.InviterName)
	if inviter != "" {
		return oneLine(p.T("email.invitation.subject_from", "Inviter", inviter, "Org", org, "App", p.AppName))
	}
	return oneLine(p.T("email.invitation.subject", "Org", org, "App", p.AppName))
}

func orgInvitationHeading(p OrgInvitationEmail) string {
	return p.T("email.invitation.heading", "Org", shownName(p.OrgName))
}

func orgInvitationIntro(p OrgInvitationEmail) string {
	org, inviter := shownName(p.OrgName), shownName(p.InviterName)
	if inviter != "" {
		return p.T("email.invitation.intro_from", "Inviter", inviter, "Org", org, "App", p.AppName)
	}
	return p.T("email.invitation.intro", "Org", org, "App", p.AppName)
}
