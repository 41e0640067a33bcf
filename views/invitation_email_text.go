package views

// AppInvitationEmailSubject names the app the invitation is to. A subject
// is a header: line breaks are removed (REQ-IN-04).
func AppInvitationEmailSubject(p AppInvitationEmail) string {
	return oneLine(p.T("email.app_invitation.subject", "App", p.AppName))
}
