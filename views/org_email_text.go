package views

// OrgInvitationEmailSubject names who invites and where. The names are
// people's, shown through shownName; line breaks are removed once more
// because a subject is a header (REQ-IN-04). The inviter's address is
// left to the body, to keep the subject short, unless it is all there is
// to name them by.
func OrgInvitationEmailSubject(p OrgInvitationEmail) string {
	org, inviter := shownName(p.OrgName), shownName(p.InviterName)
	if inviter == "" {
		inviter = shownName(p.InviterEmail)
	}
	if inviter != "" {
		return oneLine(p.T("email.invitation.subject_from", "Inviter", inviter, "Org", org, "App", p.AppName))
	}
	return oneLine(p.T("email.invitation.subject", "Org", org, "App", p.AppName))
}

func orgInvitationHeading(p OrgInvitationEmail) string {
	return p.T("email.invitation.heading", "Org", shownName(p.OrgName))
}

// orgInvitationIntro names the inviter by name and address, so that the
// person invited can tell who it is (and a namesake from a stranger). The
// address goes through shownName as the name does: it is only as safe as
// what reached the account.
func orgInvitationIntro(p OrgInvitationEmail) string {
	org, inviter, addr := shownName(p.OrgName), shownName(p.InviterName), shownName(p.InviterEmail)
	switch {
	case inviter != "" && addr != "":
		return p.T("email.invitation.intro_from_address", "Inviter", inviter, "Address", addr, "Org", org, "App", p.AppName)
	case inviter == "" && addr != "":
		inviter = addr
	}
	if inviter != "" {
		return p.T("email.invitation.intro_from", "Inviter", inviter, "Org", org, "App", p.AppName)
	}
	return p.T("email.invitation.intro", "Org", org, "App", p.AppName)
}
