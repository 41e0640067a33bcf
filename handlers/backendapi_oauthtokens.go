package handlers

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/oauthtoken"
	"github.com/portalhq/portal/internal/page"
)

// oauthAccessTokenObject is Clerk's OAuthAccessToken: one external
// account's token from its provider. scopes is there for OAuth 2 tokens
// (all the portal's providers), token_secret for OAuth 1 ones (none),
// id_token when an OpenID provider gave one.
type oauthAccessTokenObject struct {
	Object            string         `json:"object"`
	ExternalAccountID string         `json:"external_account_id"`
	ProviderUserID    string         `json:"provider_user_id"`
	Token             string         `json:"token"`
	ExpiresAt         *int64         `json:"expires_at"`
	Provider          string         `json:"provider"`
	PublicMetadata    map[string]any `json:"public_metadata"`
	Label             *string        `json:"label"`
	Scopes            []string       `json:"scopes"`
	IDToken           string         `json:"id_token,omitempty"`
	TokenSecret       string         `json:"token_secret,omitempty"`
}

func toOAuthAccessTokenObject(a oauthtoken.Access) oauthAccessTokenObject {
	o := oauthAccessTokenObject{Object: "oauth_access_token", ExternalAccountID: a.Account.ID,
		ProviderUserID: a.Account.Subject, Token: a.Token.AccessToken, Provider: "oauth_" + a.Account.Provider,
		PublicMetadata: map[string]any{}, Scopes: a.Token.Scopes, IDToken: a.Token.IDToken,
		TokenSecret: a.Token.TokenSecret}
	if o.Scopes == nil {
		o.Scopes = []string{}
	}
	if a.ExpiresAt != nil {
		ms := a.ExpiresAt.UnixMilli()
		o.ExpiresAt = &ms
	}
	return o
}

// GET /v1/users/:id/oauth_access_tokens/:provider (limit, offset): the
// provider's tokens of the user's accounts there, refreshed first when
// expired; a bare array, or {"data","total_count"} with paginated=true
// (what Clerk's SDKs ask for). The provider is named as Clerk names it:
// oauth_github, oauth_oidc_corp (as the user object's external accounts
// name it) or oauth_custom_corp.
func (a *app) apiUserOAuthAccessTokens(c echo.Context) error {
	wrapped, err := queryBool(c, "paginated")
	if err != nil {
		return err
	}
	limit, offset, err := queryPage(c)
	if err != nil {
		return err
	}
	if err := page.Check(&limit, &offset, 10, 500); err != nil {
		return err
	}
	name := c.Param("provider")
	p, ok := a.OAuthTokens.Provider(name)
	if !ok {
		return apperr.Field(apperr.Invalid, "provider",
			"Name the provider as oauth_<name>: oauth_github, oauth_google, oauth_oidc_<name> or oauth_custom_<name>; got "+
				quoteParam(name)+".")
	}
	if p == nil {
		// An unknown user is 404 first, as on every /v1/users/{id} path.
		if _, err := a.AdminUsers.Get(c.Request().Context(), c.Param("id")); err != nil {
			return err
		}
		return oauthtoken.ErrProviderNotEnabled
	}
	list, err := a.OAuthTokens.List(c.Request().Context(), c.Param("id"), p)
	if err != nil {
		return err
	}
	total := len(list)
	list = list[min(offset, total):min(offset+limit, total)]
	out := make([]oauthAccessTokenObject, 0, len(list))
	for _, x := range list {
		out = append(out, toOAuthAccessTokenObject(x))
	}
	return apiList(c, wrapped, out, total)
}

// quoteParam quotes a path parameter for a message, cut short when long.
func quoteParam(s string) string {
	if r := []rune(s); len(r) > 64 {
		s = string(r[:64]) + "…"
	}
	return strconv.Quote(s)
}
