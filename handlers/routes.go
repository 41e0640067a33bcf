package handlers

import (
	"bytes"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/i18n"
	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/restrict"
	"github.com/portalhq/portal/internal/theme"
	"github.com/portalhq/portal/internal/user"
	"github.com/portalhq/portal/static"
)

// Route is one entry of the route table. Tests enumerate it, so a new POST
// route cannot slip past the CSRF check.
type Route struct {
	Method string
	Path   string
	h      func(a *app, c echo.Context) error
	// NoCSRF, when set, says why the route takes cross-site POSTs: a
	// provider's form_post callback, protected by its one-time state.
	NoCSRF string
	// API marks a Backend API route: authenticated by the Bearer secret
	// key, never by cookies, so it needs no CSRF check; errors are JSON.
	API bool
	// MaxBody, when set, replaces the instance's body limit for this route
	// (the profile image upload).
	MaxBody int64
	// Org, on organization routes, is what the caller needs: OrgUser,
	// OrgMember, OrgTicket, OrgInvitee, OrgSuggested or a system
	// permission (org:sys_…). The
	// authorization matrix test is generated from it (REQ-AC-01).
	Org string
}

// Routes is the one route table.
func Routes() []Route {
	routes := []Route{
		{Method: http.MethodGet, Path: "/", h: (*app).home},
		{Method: http.MethodGet, Path: "/sign-in", h: (*app).signInStart},
		{Method: http.MethodPost, Path: "/sign-in", h: (*app).signInSubmitIdentifier},
		{Method: http.MethodGet, Path: "/sign-in/factor-one", h: (*app).signInFactorOne},
		{Method: http.MethodPost, Path: "/sign-in/factor-one", h: (*app).signInAttempt},
		{Method: http.MethodPost, Path: "/sign-in/factor-one/prepare", h: (*app).signInPrepare},
		{Method: http.MethodPost, Path: ticketAction, h: (*app).signInTicket},
		{Method: http.MethodGet, Path: "/sign-in/forgot-password", h: (*app).signInForgot},
		{Method: http.MethodGet, Path: "/sign-in/reset-password", h: (*app).signInNewPasswordPage},
		{Method: http.MethodPost, Path: "/sign-in/reset-password", h: (*app).signInResetPassword},
		{Method: http.MethodGet, Path: "/v1/verify", h: (*app).linkPage},
		{Method: http.MethodPost, Path: "/v1/verify", h: (*app).linkConfirm},
		{Method: http.MethodGet, Path: "/sign-up", h: (*app).signUpStart},
		{Method: http.MethodPost, Path: "/sign-up", h: (*app).signUpSubmit},
		{Method: http.MethodGet, Path: "/sign-up/verify-email-address", h: (*app).signUpVerifyPage},
		{Method: http.MethodPost, Path: "/sign-up/verify-email-address", h: (*app).signUpVerify},
		{Method: http.MethodPost, Path: "/sign-up/verify-email-address/resend", h: (*app).signUpResend},
		{Method: http.MethodPost, Path: "/sign-up/verify-email-address/switch", h: (*app).signUpSwitch},
		{Method: http.MethodGet, Path: "/sign-up/verify-phone-number", h: (*app).signUpVerifyPage},
		{Method: http.MethodPost, Path: "/sign-up/verify-phone-number", h: (*app).signUpVerify},
		{Method: http.MethodPost, Path: "/sign-up/verify-phone-number/resend", h: (*app).signUpResend},
		{Method: http.MethodGet, Path: "/sign-out", h: (*app).signOutPage},
		{Method: http.MethodPost, Path: "/sign-out", h: (*app).signOut},
		{Method: http.MethodGet, Path: "/v1/client/handshake", h: (*app).handshake},
		{Method: http.MethodGet, Path: "/.well-known/jwks.json", h: (*app).jwks},
		{Method: http.MethodGet, Path: "/healthz", h: (*app).healthz},
		{Method: http.MethodGet, Path: "/readyz", h: (*app).readyz},
		// HEAD, which load balancers' health checks and caches revalidating
		// the JWKS may send: the GET's answer without its body (net/http
		// drops it).
		{Method: http.MethodHead, Path: "/.well-known/jwks.json", h: (*app).jwks},
		{Method: http.MethodHead, Path: "/healthz", h: (*app).healthz},
		{Method: http.MethodHead, Path: "/readyz", h: (*app).readyz},
		{Method: http.MethodGet, Path: "/dev/outbox", h: (*app).devOutbox},
		{Method: http.MethodGet, Path: "/dev/outbox/:id/html", h: (*app).devOutboxHTML},
		{Method: http.MethodGet, Path: "/user", h: (*app).userProfile},
		{Method: http.MethodGet, Path: "/user/external-accounts/:id/delete", h: (*app).userDisconnect},
		{Method: http.MethodPost, Path: "/user/external-accounts/:id/delete", h: (*app).userDisconnect},
		{Method: http.MethodGet, Path: "/sign-up/continue", h: (*app).signUpContinuePage},
		{Method: http.MethodPost, Path: "/sign-up/continue", h: (*app).signUpContinue},
		{Method: http.MethodGet, Path: "/sign-in/oauth/:provider", h: (*app).oauthStart},
		{Method: http.MethodGet, Path: "/v1/oauth_callback/:provider", h: (*app).oauthCallback},
		{Method: http.MethodPost, Path: "/v1/oauth_callback/:provider", h: (*app).oauthCallback,
			NoCSRF: "Apple's form_post callback is a cross-site POST; the sealed one-time state is its CSRF control (REQ-OA-01)"},
		// Passkeys and second factors (issue 5).
		{Method: http.MethodPost, Path: "/sign-in/passkey/options", h: (*app).passkeyOptions},
		{Method: http.MethodPost, Path: "/sign-in/passkey", h: (*app).passkeySignIn},
		{Method: http.MethodGet, Path: "/sign-in/factor-two", h: (*app).signInFactorTwo},
		{Method: http.MethodPost, Path: "/sign-in/factor-two", h: (*app).signInAttemptFactorTwo},
		{Method: http.MethodPost, Path: "/sign-in/factor-two/prepare", h: (*app).signInPrepareFactorTwo},
		{Method: http.MethodGet, Path: "/user/security", h: (*app).userSecurity},
		{Method: http.MethodGet, Path: "/user/security/passkeys/new", h: (*app).passkeyAddPage},
		{Method: http.MethodPost, Path: "/user/security/passkeys/options", h: (*app).passkeyAddOptions},
		{Method: http.MethodPost, Path: "/user/security/passkeys", h: (*app).passkeyAdd},
		{Method: http.MethodPost, Path: "/user/security/passkeys/:id/rename", h: (*app).passkeyRename},
		{Method: http.MethodGet, Path: "/user/security/passkeys/:id/remove", h: (*app).passkeyRemove},
		{Method: http.MethodPost, Path: "/user/security/passkeys/:id/remove", h: (*app).passkeyRemove},
		{Method: http.MethodGet, Path: "/user/security/totp", h: (*app).totpPage},
		{Method: http.MethodPost, Path: "/user/security/totp", h: (*app).totpConfirm},
		{Method: http.MethodGet, Path: "/user/security/totp/remove", h: (*app).totpRemove},
		{Method: http.MethodPost, Path: "/user/security/totp/remove", h: (*app).totpRemove},
		{Method: http.MethodGet, Path: "/user/security/phone", h: (*app).phoneEnable},
		{Method: http.MethodPost, Path: "/user/security/phone", h: (*app).phoneEnable},
		{Method: http.MethodGet, Path: "/user/security/phone/remove", h: (*app).phoneDisable},
		{Method: http.MethodPost, Path: "/user/security/phone/remove", h: (*app).phoneDisable},
		{Method: http.MethodGet, Path: "/user/security/backup-codes", h: (*app).backupCodes},
		{Method: http.MethodPost, Path: "/user/security/backup-codes", h: (*app).backupCodes},
		{Method: http.MethodGet, Path: "/theme.css", h: (*app).themeCSS},
		{Method: http.MethodGet, Path: "/theme-custom.css", h: (*app).themeCustomCSS},
		{Method: http.MethodGet, Path: theme.LogoPath, h: (*app).themeLogo},
		{Method: http.MethodGet, Path: "/dev/themes", h: (*app).devThemes},
		// The account page (/user) and its steps.
		{Method: http.MethodPost, Path: "/user/profile", h: (*app).userProfileSave},
		{Method: http.MethodPost, Path: "/user/language", h: (*app).userLanguageSave},
		{Method: http.MethodPost, Path: "/user/profile-image", h: (*app).userImageUpload, MaxBody: imageUploadLimit},
		{Method: http.MethodPost, Path: "/user/profile-image/delete", h: (*app).userImageDelete},
		{Method: http.MethodGet, Path: "/images/:file", h: (*app).image},
		{Method: http.MethodGet, Path: "/user/verify", h: (*app).userVerifyPage},
		{Method: http.MethodPost, Path: "/user/verify", h: (*app).userVerify},
		{Method: http.MethodPost, Path: "/user/verify/prepare", h: (*app).userVerifyPrepare},
		{Method: http.MethodGet, Path: "/user/email-addresses/new", h: kindPage((*app).userAddIdentifierPage, user.Email)},
		{Method: http.MethodPost, Path: "/user/email-addresses", h: kindPage((*app).userAddIdentifier, user.Email)},
		{Method: http.MethodGet, Path: "/user/phone-numbers/new", h: kindPage((*app).userAddIdentifierPage, user.Phone)},
		{Method: http.MethodPost, Path: "/user/phone-numbers", h: kindPage((*app).userAddIdentifier, user.Phone)},
		{Method: http.MethodGet, Path: "/user/verify-identifier", h: (*app).userVerifyIdentifierPage},
		{Method: http.MethodPost, Path: "/user/verify-identifier", h: (*app).userVerifyIdentifier},
		{Method: http.MethodPost, Path: "/user/verify-identifier/send", h: (*app).userVerifyIdentifierSend},
		{Method: http.MethodGet, Path: "/user/verify-email", h: (*app).userVerifyEmailPage},
		{Method: http.MethodPost, Path: "/user/verify-email", h: (*app).userVerifyEmail},
		{Method: http.MethodGet, Path: "/user/email-addresses/:id/primary", h: identifierStep((*app).userIdentifierConfirm, user.Email, "primary")},
		{Method: http.MethodPost, Path: "/user/email-addresses/:id/primary", h: identifierStep((*app).userIdentifierChange, user.Email, "primary")},
		{Method: http.MethodGet, Path: "/user/email-addresses/:id/remove", h: identifierStep((*app).userIdentifierConfirm, user.Email, "remove")},
		{Method: http.MethodPost, Path: "/user/email-addresses/:id/remove", h: identifierStep((*app).userIdentifierChange, user.Email, "remove")},
		{Method: http.MethodGet, Path: "/user/email-addresses/:id/verify", h: identifierStep((*app).userIdentifierConfirm, user.Email, "verify")},
		{Method: http.MethodPost, Path: "/user/email-addresses/:id/verify", h: identifierStep((*app).userIdentifierChange, user.Email, "verify")},
		{Method: http.MethodGet, Path: "/user/phone-numbers/:id/primary", h: identifierStep((*app).userIdentifierConfirm, user.Phone, "primary")},
		{Method: http.MethodPost, Path: "/user/phone-numbers/:id/primary", h: identifierStep((*app).userIdentifierChange, user.Phone, "primary")},
		{Method: http.MethodGet, Path: "/user/phone-numbers/:id/remove", h: identifierStep((*app).userIdentifierConfirm, user.Phone, "remove")},
		{Method: http.MethodPost, Path: "/user/phone-numbers/:id/remove", h: identifierStep((*app).userIdentifierChange, user.Phone, "remove")},
		{Method: http.MethodGet, Path: "/user/phone-numbers/:id/verify", h: identifierStep((*app).userIdentifierConfirm, user.Phone, "verify")},
		{Method: http.MethodPost, Path: "/user/phone-numbers/:id/verify", h: identifierStep((*app).userIdentifierChange, user.Phone, "verify")},
		{Method: http.MethodGet, Path: "/user/password", h: (*app).userPasswordPage},
		{Method: http.MethodPost, Path: "/user/password", h: (*app).userPassword},
		{Method: http.MethodGet, Path: "/user/sessions/:id/revoke", h: (*app).userRevokeSession},
		{Method: http.MethodPost, Path: "/user/sessions/:id/revoke", h: (*app).userRevokeSession},
		{Method: http.MethodGet, Path: "/user/sessions/revoke-others", h: (*app).userRevokeOtherSessions},
		{Method: http.MethodPost, Path: "/user/sessions/revoke-others", h: (*app).userRevokeOtherSessions},
		{Method: http.MethodGet, Path: "/user/delete", h: (*app).userDeletePage},
		{Method: http.MethodPost, Path: "/user/delete", h: (*app).userDelete},
		{Method: http.MethodGet, Path: "/user/deleted", h: (*app).userDeleted},
		{Method: http.MethodGet, Path: "/create-organization", h: (*app).createOrgPage, Org: OrgUser},
		{Method: http.MethodPost, Path: "/create-organization", h: (*app).createOrg, Org: OrgUser, MaxBody: imageUploadLimit},
		{Method: http.MethodGet, Path: "/switch-organization", h: (*app).switchOrgPage, Org: OrgUser},
		{Method: http.MethodPost, Path: "/switch-organization", h: (*app).switchOrg, Org: OrgMember},
		{Method: http.MethodPost, Path: "/switch-organization/invitations/:invitation_id/accept", h: (*app).joinInvitation, Org: OrgInvitee},
		{Method: http.MethodPost, Path: "/switch-organization/invitations/:invitation_id/decline", h: (*app).declineInvitation, Org: OrgInvitee},
		{Method: http.MethodPost, Path: "/switch-organization/suggestions/:suggestion_id/request", h: (*app).requestToJoin, Org: OrgSuggested},
		{Method: http.MethodGet, Path: "/organization", h: (*app).activeOrgPage, Org: OrgUser},
		{Method: http.MethodGet, Path: "/organizations/:org_id", h: (*app).orgGeneral, Org: OrgMember},
		{Method: http.MethodPost, Path: "/organizations/:org_id", h: (*app).orgUpdate, Org: org.PermProfileManage, MaxBody: imageUploadLimit},
		{Method: http.MethodPost, Path: "/organizations/:org_id/delete", h: (*app).orgDelete, Org: org.PermProfileDelete},
		{Method: http.MethodPost, Path: "/organizations/:org_id/leave", h: (*app).orgLeave, Org: OrgMember},
		{Method: http.MethodGet, Path: "/organizations/:org_id/logo", h: (*app).orgLogo, Org: OrgMember},
		{Method: http.MethodPost, Path: "/organizations/:org_id/domains", h: (*app).orgAddDomain, Org: org.PermDomainsManage},
		{Method: http.MethodGet, Path: "/organizations/:org_id/domains/:domain_id", h: (*app).orgDomainPage, Org: org.PermDomainsManage},
		{Method: http.MethodPost, Path: "/organizations/:org_id/domains/:domain_id/send-code", h: (*app).orgDomainSendCode, Org: org.PermDomainsManage},
		{Method: http.MethodPost, Path: "/organizations/:org_id/domains/:domain_id/verify", h: (*app).orgDomainVerify, Org: org.PermDomainsManage},
		{Method: http.MethodPost, Path: "/organizations/:org_id/domains/:domain_id/enrollment", h: (*app).orgDomainEnrollment, Org: org.PermDomainsManage},
		{Method: http.MethodPost, Path: "/organizations/:org_id/domains/:domain_id/remove", h: (*app).orgDomainRemove, Org: org.PermDomainsManage},
		{Method: http.MethodGet, Path: "/organizations/:org_id/members", h: (*app).orgMembers, Org: org.PermMembershipsRead},
		{Method: http.MethodPost, Path: "/organizations/:org_id/members/:membership_id/role", h: (*app).orgChangeRole, Org: org.PermMembershipsManage},
		{Method: http.MethodGet, Path: "/organizations/:org_id/members/:membership_id/remove", h: (*app).orgRemoveMemberPage, Org: org.PermMembershipsManage},
		{Method: http.MethodPost, Path: "/organizations/:org_id/members/:membership_id/remove", h: (*app).orgRemoveMember, Org: org.PermMembershipsManage},
		{Method: http.MethodGet, Path: "/organizations/:org_id/invitations", h: (*app).orgInvitations, Org: org.PermMembershipsManage},
		{Method: http.MethodPost, Path: "/organizations/:org_id/invitations", h: (*app).orgInvite, Org: org.PermMembershipsManage},
		{Method: http.MethodPost, Path: "/organizations/:org_id/invitations/:invitation_id/revoke", h: (*app).orgRevoke, Org: org.PermMembershipsManage},
		{Method: http.MethodPost, Path: "/organizations/:org_id/invitations/:invitation_id/resend", h: (*app).orgResend, Org: org.PermMembershipsManage},
		{Method: http.MethodGet, Path: "/organizations/:org_id/requests", h: (*app).orgRequests, Org: org.PermMembershipsManage},
		{Method: http.MethodPost, Path: "/organizations/:org_id/requests/:request_id/accept", h: (*app).orgAcceptRequest, Org: org.PermMembershipsManage},
		{Method: http.MethodPost, Path: "/organizations/:org_id/requests/:request_id/reject", h: (*app).orgRejectRequest, Org: org.PermMembershipsManage},
		{Method: http.MethodGet, Path: invitation.AcceptPath, h: (*app).appInvitationPage},
		{Method: http.MethodGet, Path: "/waitlist", h: (*app).waitlistPage},
		{Method: http.MethodPost, Path: "/waitlist", h: (*app).waitlistJoin},
		{Method: http.MethodGet, Path: org.AcceptPath, h: (*app).acceptInvitationPage, Org: OrgTicket},
		{Method: http.MethodPost, Path: org.AcceptPath, h: (*app).acceptInvitation, Org: OrgTicket},
	}
	routes = append(routes, clientTokenRoutes()...)
	return append(routes, apiRoutes()...)
}

// clientTokenRoutes serve a relying app's front end (clienttokens.go).
func clientTokenRoutes() []Route {
	const why = "a relying app's front end calls it cross-origin with the __client cookie; it only mints a token, " +
		"answered to allowed origins alone, and refuses any other Origin (REQ-HDR-03)"
	var out []Route
	for _, p := range []string{"/v1/client/sessions/:id/tokens", "/v1/client/sessions/:id/tokens/:template"} {
		out = append(out,
			Route{Method: http.MethodOptions, Path: p, h: (*app).clientTokenPreflight},
			Route{Method: http.MethodPost, Path: p, h: (*app).clientToken, NoCSRF: why})
	}
	return out
}

// apiRoutes is the Backend API (backendapi_*.go).
func apiRoutes() []Route {
	api := func(method, path string, h func(a *app, c echo.Context) error) Route {
		return Route{Method: method, Path: path, h: apiRoute(h), API: true}
	}
	orgAPI := func(method, path string, h func(a *app, c echo.Context) error) Route {
		r := api(method, path, h)
		r.Org = OrgInstance
		return r
	}
	// upload lets a route take a profile image (avatar.MaxUpload).
	upload := func(r Route) Route { r.MaxBody = imageUploadLimit; return r }
	get, post, patch, put, del := http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete
	return []Route{
		api(get, "/v1/users", (*app).apiUsersList),
		api(get, "/v1/users/count", (*app).apiUsersCount),
		api(post, "/v1/users", (*app).apiUserCreate),
		api(get, "/v1/users/:id", (*app).apiUserGet),
		api(patch, "/v1/users/:id", (*app).apiUserUpdate),
		api(del, "/v1/users/:id", (*app).apiUserDelete),
		api(patch, "/v1/users/:id/metadata", (*app).apiUserMetadata),
		api(post, "/v1/users/:id/ban", (*app).apiUserBan),
		api(post, "/v1/users/:id/unban", (*app).apiUserUnban),
		api(post, "/v1/users/:id/lock", (*app).apiUserLock),
		api(post, "/v1/users/:id/unlock", (*app).apiUserUnlock),
		api(post, "/v1/users/:id/verify_password", (*app).apiUserVerifyPassword),
		api(post, "/v1/users/:id/password/set_compromised", (*app).apiUserSetPasswordCompromised),
		api(post, "/v1/users/:id/password/unset_compromised", (*app).apiUserUnsetPasswordCompromised),
		api(post, "/v1/users/:id/verify_totp", (*app).apiUserVerifyTOTP),
		api(del, "/v1/users/:id/mfa", (*app).apiUserDeleteMFA),
		api(del, "/v1/users/:id/totp", (*app).apiUserDeleteTOTP),
		api(del, "/v1/users/:id/backup_code", (*app).apiUserDeleteBackupCodes),
		api(del, "/v1/users/:id/passkeys/:passkey_id", (*app).apiUserDeletePasskey),
		api(del, "/v1/users/:id/external_accounts/:external_account_id", (*app).apiUserDeleteExternalAccount),
		api(get, "/v1/users/:id/oauth_access_tokens/:provider", (*app).apiUserOAuthAccessTokens),
		upload(api(post, "/v1/users/:id/profile_image", (*app).apiUserSetImage)),
		api(del, "/v1/users/:id/profile_image", (*app).apiUserDeleteImage),
		api(post, "/v1/email_addresses", identifierRoute((*app).apiIdentifierCreate, user.Email)),
		api(get, "/v1/email_addresses/:id", identifierRoute((*app).apiIdentifierGet, user.Email)),
		api(patch, "/v1/email_addresses/:id", identifierRoute((*app).apiIdentifierUpdate, user.Email)),
		api(del, "/v1/email_addresses/:id", identifierRoute((*app).apiIdentifierDelete, user.Email)),
		api(post, "/v1/phone_numbers", identifierRoute((*app).apiIdentifierCreate, user.Phone)),
		api(get, "/v1/phone_numbers/:id", identifierRoute((*app).apiIdentifierGet, user.Phone)),
		api(patch, "/v1/phone_numbers/:id", identifierRoute((*app).apiIdentifierUpdate, user.Phone)),
		api(del, "/v1/phone_numbers/:id", identifierRoute((*app).apiIdentifierDelete, user.Phone)),
		api(get, "/v1/sessions", (*app).apiSessionsList),
		api(post, "/v1/sessions", (*app).apiSessionCreate),
		api(get, "/v1/sessions/:id", (*app).apiSessionGet),
		api(post, "/v1/sessions/:id/revoke", (*app).apiSessionRevoke),
		api(post, "/v1/sessions/:id/tokens", (*app).apiSessionToken),
		api(post, "/v1/sessions/:id/tokens/:template", (*app).apiSessionTemplateToken),
		api(get, "/v1/clients", (*app).apiClientsList),
		api(post, "/v1/clients/verify", (*app).apiClientVerify),
		api(get, "/v1/clients/:id", (*app).apiClientGet),
		api(get, "/v1/jwks", (*app).apiJWKS),
		api(get, "/v1/jwt_templates", (*app).apiTemplatesList),
		api(post, "/v1/jwt_templates", (*app).apiTemplateCreate),
		api(get, "/v1/jwt_templates/:id", (*app).apiTemplateGet),
		api(patch, "/v1/jwt_templates/:id", (*app).apiTemplateUpdate),
		api(del, "/v1/jwt_templates/:id", (*app).apiTemplateDelete),
		api(get, "/v1/webhooks/endpoints", (*app).apiEndpointsList),
		api(post, "/v1/webhooks/endpoints", (*app).apiEndpointCreate),
		api(get, "/v1/webhooks/endpoints/:id", (*app).apiEndpointGet),
		api(patch, "/v1/webhooks/endpoints/:id", (*app).apiEndpointUpdate),
		api(del, "/v1/webhooks/endpoints/:id", (*app).apiEndpointDelete),
		api(get, "/v1/webhooks/endpoints/:id/secret", (*app).apiEndpointSecret),
		api(post, "/v1/webhooks/endpoints/:id/rotate_secret", (*app).apiEndpointRotate),
		api(get, "/v1/webhooks/endpoints/:id/deliveries", (*app).apiEndpointDeliveries),
		api(post, "/v1/webhooks/endpoints/:id/deliveries/:msg/replay", (*app).apiDeliveryReplay),
		api(get, "/v1/invitations", (*app).apiAppInvitationsList),
		api(post, "/v1/invitations", (*app).apiAppInvitationCreate),
		api(post, "/v1/invitations/bulk", (*app).apiAppInvitationBulk),
		api(post, "/v1/invitations/:id/revoke", (*app).apiAppInvitationRevoke),
		api(post, "/v1/sign_in_tokens", (*app).apiSignInTokenCreate),
		api(post, "/v1/sign_in_tokens/:id/revoke", (*app).apiSignInTokenRevoke),
		api(post, "/v1/actor_tokens", (*app).apiActorTokenCreate),
		api(post, "/v1/actor_tokens/:id/revoke", (*app).apiActorTokenRevoke),
		api(get, "/v1/waitlist_entries", (*app).apiWaitlistList),
		api(post, "/v1/waitlist_entries", (*app).apiWaitlistCreate),
		api(post, "/v1/waitlist_entries/bulk", (*app).apiWaitlistBulk),
		api(post, "/v1/waitlist_entries/:id/invite", (*app).apiWaitlistInvite),
		api(post, "/v1/waitlist_entries/:id/reject", (*app).apiWaitlistReject),
		api(del, "/v1/waitlist_entries/:id", (*app).apiWaitlistDelete),
		api(get, "/v1/allowlist_identifiers", listRoute((*app).apiListEntries, restrict.Allowlist)),
		api(post, "/v1/allowlist_identifiers", listRoute((*app).apiAddEntry, restrict.Allowlist)),
		api(del, "/v1/allowlist_identifiers/:id", listRoute((*app).apiDeleteEntry, restrict.Allowlist)),
		api(get, "/v1/blocklist_identifiers", listRoute((*app).apiListEntries, restrict.Blocklist)),
		api(post, "/v1/blocklist_identifiers", listRoute((*app).apiAddEntry, restrict.Blocklist)),
		api(del, "/v1/blocklist_identifiers/:id", listRoute((*app).apiDeleteEntry, restrict.Blocklist)),
		orgAPI(get, "/v1/organizations", (*app).apiOrgsList),
		orgAPI(post, "/v1/organizations", (*app).apiOrgCreate),
		orgAPI(get, "/v1/organizations/:id", (*app).apiOrgGet),
		orgAPI(patch, "/v1/organizations/:id", (*app).apiOrgUpdate),
		orgAPI(del, "/v1/organizations/:id", (*app).apiOrgDelete),
		upload(orgAPI(put, "/v1/organizations/:id/logo", (*app).apiOrgSetLogo)),
		orgAPI(del, "/v1/organizations/:id/logo", (*app).apiOrgDeleteLogo),
		orgAPI(patch, "/v1/organizations/:id/metadata", (*app).apiOrgMetadata),
		orgAPI(get, "/v1/organizations/:id/memberships", (*app).apiMembershipsList),
		orgAPI(post, "/v1/organizations/:id/memberships", (*app).apiMembershipCreate),
		orgAPI(patch, "/v1/organizations/:id/memberships/:user_id", (*app).apiMembershipUpdate),
		orgAPI(patch, "/v1/organizations/:id/memberships/:user_id/metadata", (*app).apiMembershipMetadata),
		orgAPI(del, "/v1/organizations/:id/memberships/:user_id", (*app).apiMembershipDelete),
		orgAPI(get, "/v1/organizations/:id/invitations", (*app).apiInvitationsList),
		orgAPI(post, "/v1/organizations/:id/invitations", (*app).apiInvitationCreate),
		orgAPI(post, "/v1/organizations/:id/invitations/bulk", (*app).apiInvitationBulk),
		orgAPI(get, "/v1/organizations/:id/invitations/:invitation_id", (*app).apiInvitationGet),
		orgAPI(post, "/v1/organizations/:id/invitations/:invitation_id/revoke", (*app).apiInvitationRevoke),
		orgAPI(get, "/v1/organizations/:id/domains", (*app).apiDomainsList),
		orgAPI(post, "/v1/organizations/:id/domains", (*app).apiDomainCreate),
		orgAPI(patch, "/v1/organizations/:id/domains/:domain_id", (*app).apiDomainUpdate),
		orgAPI(del, "/v1/organizations/:id/domains/:domain_id", (*app).apiDomainDelete),
		orgAPI(get, "/v1/organization_memberships", (*app).apiInstanceMemberships),
		orgAPI(get, "/v1/users/:id/organization_memberships", (*app).apiUserMemberships),
		orgAPI(get, "/v1/users/:id/organization_invitations", (*app).apiUserInvitations),
	}
}

func kindPage(h func(a *app, c echo.Context, kind string) error, kind string) func(a *app, c echo.Context) error {
	return func(a *app, c echo.Context) error { return h(a, c, kind) }
}

func identifierStep(h func(a *app, c echo.Context, kind, action string) error, kind, action string) func(a *app, c echo.Context) error {
	return func(a *app, c echo.Context) error { return h(a, c, kind, action) }
}

// New builds the HTTP handler.
func New(d Deps) (*echo.Echo, error) {
	base, err := url.Parse(d.Config.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("handlers: base URL: %w", err)
	}
	if d.Theme == nil {
		if d.Theme, err = theme.NewLive("default", "", d.Config.Dev()); err != nil {
			return nil, err
		}
	}
	if d.I18n == nil {
		if d.I18n, err = i18n.New(i18n.Source, ""); err != nil {
			return nil, err
		}
	}
	a := &app{Deps: d, base: base, limits: defaultLimits(), clientIDs: newDecodedCookies(clientIDsKept)}
	a.clients = sessions.NewCookieStore(d.CookieKeys...)
	a.clients.Options = &sessions.Options{Path: "/", HttpOnly: true, Secure: a.secureCookies(),
		SameSite: http.SameSiteLaxMode, MaxAge: int(maxDuration(d.Config.SessionMaxLifetime, day).Seconds())}
	a.clients.MaxAge(a.clients.Options.MaxAge)

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = a.errorHandler
	e.IPExtractor = func(r *http.Request) string { return ClientIPFrom(r.Context()).String() }

	secHeaders, err := SecurityHeaders(!d.Config.Dev(), d.Config.AllowedRedirectOrigins, a.cspExtra)
	if err != nil {
		return nil, err
	}
	noCSRF, routed, maxBody := map[string]bool{}, map[string]bool{}, map[string]int64{}
	for _, r := range Routes() {
		routed[r.Method+" "+r.Path] = true
		if r.NoCSRF != "" || r.API {
			noCSRF[r.Method+" "+r.Path] = true
		}
		if r.MaxBody > 0 {
			maxBody[r.Method+" "+r.Path] = r.MaxBody
		}
	}
	csrf, err := CSRF(CSRFConfig{
		BaseURL: d.Config.BaseURL, Secure: a.secureCookies(), Log: d.Log,
		Exempt: func(c echo.Context) bool {
			p := c.Request().URL.Path
			return strings.HasPrefix(p, "/static/") || strings.HasPrefix(p, "/images/") || p == "/theme.css" || p == "/theme-custom.css" || p == theme.LogoPath ||
				p == "/.well-known/jwks.json" ||
				p == "/healthz" || p == "/readyz" || p == "/v1/client/handshake" ||
				noCSRF[c.Request().Method+" "+c.Path()] ||
				// A Bearer request that reaches no handler (a path or
				// method the API lacks) gets its JSON 404 or 405: there
				// is nothing behind it for the check to protect.
				isAPIRequest(c) && !routed[c.Request().Method+" "+c.Path()]
		},
		OnReject: func(c echo.Context, _ string) error {
			return a.message(c, http.StatusForbidden, a.t(c, "page.csrf_title"), a.t(c, "page.csrf_body"),
				a.signInAgainURL(c), a.t(c, "signin.back_to_sign_in"))
		},
	})
	if err != nil {
		return nil, err
	}
	e.Use(
		RequestID(),
		ClientIP(d.Config.TrustedProxies),
		Compress(),
		Logger(d.Log),
		OtherHost(d.Config.Dev(), base, d.Log),
		Recover(d.Log, func(c echo.Context) error {
			return a.somethingWentWrong(c)
		}),
		Deadline(d.Config.WriteTimeout),
		secHeaders,
		NoStore(),
		BodyLimitPer(d.Config.MaxBodyBytes, maxBody),
		FormLimit(100),
		csrf,
	)
	for _, r := range Routes() {
		h := r.h
		if r.API || r.Path == "/v1/client/handshake" {
			e.Add(r.Method, r.Path, func(c echo.Context) error { return h(a, c) })
			continue
		}
		// A person's request: what it renders or sends (pages, emails,
		// text messages) is in their language.
		e.Add(r.Method, r.Path, func(c echo.Context) error {
			req := c.Request()
			c.SetRequest(req.WithContext(i18n.NewContext(req.Context(), a.localizer(c))))
			return h(a, c)
		})
	}
	e.GET("/static/*", echo.WrapHandler(staticHandler()))
	return e, nil
}

func staticHandler() http.Handler {
	fs := http.StripPrefix("/static/", http.FileServerFS(static.FS))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") { // no directory listings (REQ-HDR-07)
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		if ct := staticType(r.URL.Path); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		if r.URL.Path == "/static/portal.css" {
			// Served without the comments written for its editors.
			http.ServeContent(w, r, "portal.css", time.Time{}, bytes.NewReader(static.Stylesheet()))
			return
		}
		fs.ServeHTTP(w, r)
	})
}

// staticType is the Content-Type of a static file, with the charset that
// every text body states (REQ-HDR-06, A5 4.1.1 names text/*, */xml and
// */+xml). Go's table gives text/* one already, but not image/svg+xml.
// "" leaves the choice to the file server.
func staticType(name string) string {
	ct := mime.TypeByExtension(path.Ext(name))
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || params["charset"] != "" {
		return ""
	}
	if strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "+xml") || strings.HasSuffix(mt, "/xml") {
		return mt + "; charset=utf-8"
	}
	return ""
}
