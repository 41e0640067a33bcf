package views

// OrgInvitationEmailSubject names who invites and where. Names are one line
// already (validated); line breaks are removed once more because a subject
// is a header (REQ-IN-04).
func OrgInvitationEmailSubject(p OrgInvitationEmail) string {
	if p.InviterName != "" {
		return oneLine(p.T("email.invitation.subject_from", "Inviter", p.InviterName, "Org", p.OrgName, "App", p.AppName))
	}
	return oneLine(p.T("email.invitation.subject", "Org", p.OrgName, "App", p.AppName))
}

func orgInvitationIntro(p OrgInvitationEmail) string {
	if p.InviterName != "" {
		return p.T("email.invitation.intro_from", "Inviter", p.InviterName, "Org", p.OrgName, "App", p.AppName)
	}
	return p.T("email.invitation.intro", "Org", p.OrgName, "App", p.AppName)
}
