package views

// AppInvitationEmailSubject names the app the invitation is to. A subject
// is a header: line breaks are removed (REQ-IN-04).
func AppInvitationEmailSubject(p AppInvitationEmail) string {
	return oneLine(p.T("email.app_invitation.subject", "App", p.AppName))
}

// WaitlistInvitationEmailSubject tells the person they are off the
// waiting list (REQ-IN-04: one line).
func WaitlistInvitationEmailSubject(p AppInvitationEmail) string {
	return oneLine(p.T("email.waitlist_invitation.subject", "App", p.AppName))
}

// WaitlistJoinedEmailSubject confirms a place on the waiting list.
func WaitlistJoinedEmailSubject(p WaitlistJoinedEmail) string {
	return oneLine(p.T("email.waitlist_joined.subject", "App", p.AppName))
}
