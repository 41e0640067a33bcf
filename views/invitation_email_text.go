package views

// AppInvitationEmailSubject names the app the invitation is to. A subject
// is a header: line breaks are removed (REQ-IN-04).
func AppInvitationEmailSubject(p AppInvitationEmail) string {
	subject, _, _ := p.text()
	return oneLine(p.T(subject, "App", p.AppName))
}

// text is the message IDs of the invitation's subject, heading and
// introduction: a person let in from the waiting list is told so.
func (p AppInvitationEmail) text() (subject, heading, intro string) {
	if p.Waitlist {
		return "email.waitlist_invitation.subject", "email.waitlist_invitation.heading", "email.waitlist_invitation.intro"
	}
	return "email.app_invitation.subject", "email.app_invitation.heading", "email.app_invitation.intro"
}

// WaitlistJoinedEmailSubject confirms a place on the waiting list.
func WaitlistJoinedEmailSubject(p WaitlistJoinedEmail) string {
	return oneLine(p.T("email.waitlist_joined.subject", "App", p.AppName))
}
