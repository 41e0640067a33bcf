// Package oauthtoken keeps each external account's latest token set from
// its provider and hands it to relying apps, which call the provider's API
// as the person (Clerk's GET /v1/users/{id}/oauth_access_tokens/{provider}).
//
// The tokens are secrets: they are stored sealed (package seal, with the
// key that seals TOTP secrets) bound to the external account's ID, never
// logged, and answered only to the Backend API's secret key. An access
// token that has expired, or is about to, is refreshed through the
// provider's token endpoint before it is answered, and the new set is
// stored in place of the old. A refresh token the provider refused
// (invalid_grant: the person revoked the portal's access) is not sent
// again: the refusal is sealed with the set, and answered as it was until
// a sign-in through the provider stores a new set.
package oauthtoken

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/oauth"
	"github.com/portalhq/portal/internal/seal"
	"github.com/portalhq/portal/internal/user"
)

// Sealer seals a provider's token set to the external account it belongs
// to. The zero value has no key and seals nothing.
type Sealer struct {
	Key []byte // 32 bytes
}

// secrets is what is sealed: everything of a token set that is secret.
type secrets struct {
	Access  string `json:"a"`
	Refresh string `json:"r,omitempty"`
	ID      string `json:"i,omitempty"`
	Secret  string `json:"s,omitempty"`
	// Refused is the provider's refusal of Refresh, once it refused it
	// as invalid_grant.
	Refused *refusal `json:"x,omitempty"`
}

// refusal is what a token endpoint said when it refused a refresh
// (oauth.RefreshError without the provider, which the account names).
type refusal struct {
	Status      int    `json:"st"`
	Code        string `json:"c"`
	Description string `json:"d,omitempty"`
}

func secretsOf(tok oauth.Token) secrets {
	return secrets{Access: tok.AccessToken, Refresh: tok.RefreshToken, ID: tok.IDToken, Secret: tok.TokenSecret}
}

func (v secrets) token(scopes []string) oauth.Token {
	return oauth.Token{AccessToken: v.Access, RefreshToken: v.Refresh, IDToken: v.ID, TokenSecret: v.Secret,
		Scopes: scopes}
}

func (s Sealer) seal(accountID string, v secrets) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	sealed, err := seal.Seal(s.Key, accountID, string(plain))
	if err != nil {
		return "", fmt.Errorf("oauthtoken: seal: %w", err)
	}
	return sealed, nil
}

func (s Sealer) open(t user.OAuthToken) (secrets, error) {
	plain, err := seal.Open(s.Key, t.ExternalAccountID, t.Sealed)
	if err != nil {
		return secrets{}, fmt.Errorf("oauthtoken: %s: %w", t.ExternalAccountID, err)
	}
	var v secrets
	if err := json.Unmarshal([]byte(plain), &v); err != nil {
		return secrets{}, fmt.Errorf("oauthtoken: %s: sealed token set is malformed", t.ExternalAccountID)
	}
	return v, nil
}

// Seal makes the stored form of tok, granted at now, for the external
// account accountID: the tokens sealed with the account's ID as associated
// data, the expiry worked out from now, the scopes as they are.
func (s Sealer) Seal(accountID string, tok oauth.Token, now time.Time) (*user.OAuthToken, error) {
	sealed, err := s.seal(accountID, secretsOf(tok))
	if err != nil {
		return nil, err
	}
	t := &user.OAuthToken{ExternalAccountID: accountID, Sealed: sealed, Scopes: tok.Scopes, UpdatedAt: now}
	if tok.Lifetime > 0 {
		exp := now.Add(tok.Lifetime)
		t.ExpiresAt = &exp
	}
	return t, nil
}

// Open returns the token set t holds (its Lifetime unset: t.ExpiresAt
// says when it expires).
func (s Sealer) Open(t user.OAuthToken) (oauth.Token, error) {
	v, err := s.open(t)
	if err != nil {
		return oauth.Token{}, err
	}
	return v.token(t.Scopes), nil
}

// Repo is what the service needs from the store.
type Repo interface {
	UserByID(ctx context.Context, id string) (*user.User, error)
	// OAuthToken returns apperr.ErrNotFound when the account has none.
	OAuthToken(ctx context.Context, externalAccountID string) (*user.OAuthToken, error)
	// ReplaceOAuthToken stores t in place of the set sealed as was; false
	// when the account's set is another by now, or gone.
	ReplaceOAuthToken(ctx context.Context, t user.OAuthToken, was string) (bool, error)
}

// Margin is how long before its expiry an access token counts as expired:
// an app is never handed one that runs out before it can use it. A token
// granted for less than twice as long counts as expired for the last half
// of its life instead (see stale).
const Margin = time.Minute

// Service answers the Backend API's requests for tokens. It is safe for
// concurrent use; do not copy it.
type Service struct {
	Clock     clockwork.Clock
	Repo      Repo
	Sealer    Sealer
	Providers []oauth.Provider // the instance's enabled providers
	Log       *slog.Logger

	// locks serialise refreshes of one account within this process, so
	// that two requests do not both spend its refresh token (providers
	// that rotate refresh tokens accept each once): each a semaphore of
	// one, so that a request waits for its account's only as long as its
	// context lasts (see lock). Machines sharing a database can still
	// race: see refreshedElsewhere and the replacement of a recorded
	// refusal in access.
	locks     [64]chan struct{}
	locksOnce sync.Once
}

// Access is one external account's usable token set.
type Access struct {
	Account   user.ExternalAccount
	Token     oauth.Token
	ExpiresAt *time.Time // nil: the provider did not say

	refused *oauth.RefreshError // the provider refused its refresh token before
}

// Errors with Clerk's codes (its Backend API errors index): a provider the
// instance does not offer, an expired token without a refresh token, a
// refresh the provider refused.
var (
	ErrProviderNotEnabled = apperr.New(apperr.NotFound,
		"Sign-in with this provider is not enabled on this instance.").Coded("oauth_token_provider_not_enabled")
	ErrMissingRefreshToken = apperr.New(apperr.Invalid,
		"The current access token has expired and cannot be refreshed: the provider gave no refresh token. The person needs to sign in with the provider again.").Coded("oauth_missing_refresh_token")
	ErrRetrieval = apperr.New(apperr.Invalid,
		"Failed to retrieve a new access token from the OAuth provider. If the person revoked the portal's access, they need to sign in with the provider again.").Coded("oauth_token_retrieval_error")
)

// Provider reads a provider as Clerk names it, oauth_<name>, with the
// portal's names (oauth_github, oauth_google, oauth_oidc_corp, as external
// accounts name them in the user object) or Clerk's for a custom provider
// (oauth_custom_corp for oidc_corp). ok is false when name has no oauth_
// prefix; p is nil when no enabled provider has that name.
func (s *Service) Provider(name string) (p oauth.Provider, ok bool) {
	bare, ok := strings.CutPrefix(name, "oauth_")
	if !ok || bare == "" {
		return nil, false
	}
	if custom, isCustom := strings.CutPrefix(bare, "custom_"); isCustom && custom != "" {
		bare = "oidc_" + custom
	}
	for _, p := range s.Providers {
		if p.Name() == bare {
			return p, true
		}
	}
	return nil, true
}

// List returns the usable token sets of the user's accounts at provider p,
// oldest account first: empty when the user has none there (or none with
// a token kept, an account connected before tokens were kept). An expired
// access token is refreshed first; user.ErrNoUser when there is no such
// user, ErrMissingRefreshToken or ErrRetrieval when an expired one cannot
// be refreshed.
func (s *Service) List(ctx context.Context, userID string, p oauth.Provider) ([]Access, error) {
	u, err := s.Repo.UserByID(ctx, userID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, user.ErrNoUser
	} else if err != nil {
		return nil, err
	}
	out := []Access{}
	for _, x := range u.ExternalAccounts {
		if x.Provider != p.Name() {
			continue
		}
		a, err := s.access(ctx, p, x)
		if err != nil {
			return nil, err
		}
		if a != nil {
			out = append(out, *a)
		}
	}
	return out, nil
}

// access returns x's token set, refreshed if it has to be; nil when none
// is kept, or the one kept does not open (the cookie secret changed).
func (s *Service) access(ctx context.Context, p oauth.Provider, x user.ExternalAccount) (*Access, error) {
	t, err := s.stored(ctx, x.ID)
	if t == nil || err != nil {
		return nil, err
	}
	if !s.stale(t) {
		return s.open(ctx, x, t), nil
	}
	unlock, err := s.lock(ctx, x.ID)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Again under the lock: another request may have refreshed it.
	if t, err = s.stored(ctx, x.ID); t == nil || err != nil {
		return nil, err
	}
	a := s.open(ctx, x, t)
	if a == nil || !s.stale(t) {
		return a, nil
	}
	if a.refused != nil {
		return nil, retrieval(a.refused) // not sent again: it would be refused again
	}
	if a.Token.RefreshToken == "" {
		return nil, ErrMissingRefreshToken
	}
	fresh, err := p.Refresh(ctx, a.Token.RefreshToken)
	if err != nil {
		// Another machine may have refreshed it meanwhile, spending the
		// refresh token this one just sent (a provider that rotates
		// refresh tokens accepts each once): its result is as good. It
		// may still be on its way to the store, so a refusal of the
		// token waits a moment for it before it counts as the account's.
		re := (*oauth.RefreshError)(nil)
		spent := errors.As(err, &re) && re.Code == "invalid_grant"
		if again := s.refreshedElsewhere(ctx, x.ID, t, spent); again != nil {
			return s.open(ctx, x, again), nil
		}
		if spent {
			s.remember(ctx, t, a.Token, re)
		}
		return nil, retrieval(err)
	}
	if fresh.Scopes == nil { // the refresh's answer named none: the grant stands
		fresh.Scopes = a.Token.Scopes
	}
	next, err := s.Sealer.Seal(x.ID, *fresh, s.Clock.Now())
	if err != nil {
		return nil, err
	}
	switch ok, err := s.Repo.ReplaceOAuthToken(ctx, *next, t.Sealed); {
	case err != nil:
		return nil, err
	case !ok:
		// A sign-in stored a newer set meanwhile (or the account went):
		// answer what is stored now.
		again, err := s.stored(ctx, x.ID)
		if again == nil || err != nil {
			return nil, err
		}
		if !s.stale(again) {
			return s.open(ctx, x, again), nil
		}
		// What is stored is no newer than the set this refresh replaces:
		// another machine's record of the provider refusing the refresh
		// token this one had just spent. The fresh set takes its place.
		if _, err := s.Repo.ReplaceOAuthToken(ctx, *next, again.Sealed); err != nil {
			return nil, err
		}
	}
	return &Access{Account: x, Token: *fresh, ExpiresAt: next.ExpiresAt}, nil
}

// refreshedElsewhere returns the account's set when another refresh,
// perhaps on another machine, has stored a usable one in place of t; nil
// otherwise. With wait (the provider refused the refresh token: it may
// have been spent by that other refresh, whose result is not stored yet)
// it looks again for up to otherRefreshWait.
func (s *Service) refreshedElsewhere(ctx context.Context, id string, t *user.OAuthToken, wait bool) *user.OAuthToken {
	deadline := time.Now().Add(otherRefreshWait)
	for {
		if again, _ := s.stored(ctx, id); again != nil && again.Sealed != t.Sealed && !s.stale(again) {
			return again
		}
		if !wait || !time.Now().Before(deadline) {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// otherRefreshWait bounds how long a refused refresh waits for another
// machine's refresh of the same account to store its result: a provider
// answers in well under that, and a refusal that is the account's own
// (the person revoked the portal's access) is answered that much later,
// once, before it is remembered.
const otherRefreshWait = 2 * time.Second

// remember seals the provider's refusal of tok's refresh token with tok,
// in place of t (which sealed tok), so that later requests answer it
// without asking the provider again. A sign-in through the provider
// meanwhile (t replaced) has stored a set that is not refused, and is left
// as it is. Not keeping the refusal costs only another call to the
// provider: it is logged, not answered.
func (s *Service) remember(ctx context.Context, t *user.OAuthToken, tok oauth.Token, re *oauth.RefreshError) {
	v := secretsOf(tok)
	v.Refused = &refusal{Status: re.Status, Code: re.Code, Description: re.Description}
	next := *t
	sealed, err := s.Sealer.seal(t.ExternalAccountID, v)
	if err == nil {
		next.Sealed = sealed
		_, err = s.Repo.ReplaceOAuthToken(ctx, next, t.Sealed)
	}
	if err != nil {
		s.Log.WarnContext(ctx, "could not keep the provider's refusal of a refresh token; the next request asks again",
			"external_account_id", t.ExternalAccountID, "err", err)
	}
}

func (s *Service) stored(ctx context.Context, accountID string) (*user.OAuthToken, error) {
	t, err := s.Repo.OAuthToken(ctx, accountID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, nil
	}
	return t, err
}

func (s *Service) open(ctx context.Context, x user.ExternalAccount, t *user.OAuthToken) *Access {
	v, err := s.Sealer.open(*t)
	if err != nil {
		// Not an error to the app: as if no token were kept, until the
		// person signs in with the provider again.
		s.Log.WarnContext(ctx, "provider token set does not open (was the cookie secret changed?); answered as none",
			"external_account_id", x.ID, "err", err)
		return nil
	}
	a := &Access{Account: x, Token: v.token(t.Scopes), ExpiresAt: t.ExpiresAt}
	if r := v.Refused; r != nil {
		a.refused = &oauth.RefreshError{Provider: x.Provider, Status: r.Status, Code: r.Code, Description: r.Description}
	}
	return a
}

// stale reports whether t's access token has expired or expires within
// Margin, or within half its lifetime when that is shorter: a token
// granted for less than Margin (a provider's 30-second tokens) would
// otherwise count as expired the moment it was granted, and every request
// for it — each of several waiting on the same account's lock too — would
// refresh it again at the provider.
func (s *Service) stale(t *user.OAuthToken) bool {
	if t.ExpiresAt == nil {
		return false
	}
	margin := min(Margin, t.ExpiresAt.Sub(t.UpdatedAt)/2) // UpdatedAt: when it was granted
	return !s.Clock.Now().Add(margin).Before(*t.ExpiresAt)
}

// lock takes the lock of the account id's stripe, waiting while another
// request holds it; ctx.Err(), without it, once ctx is done first.
func (s *Service) lock(ctx context.Context, id string) (unlock func(), err error) {
	s.locksOnce.Do(func() {
		for i := range s.locks {
			s.locks[i] = make(chan struct{}, 1)
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ch := s.locks[lockOf(id)]
	select {
	case ch <- struct{}{}:
		return func() { <-ch }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func lockOf(id string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return int(h.Sum32() % 64)
}

// retrieval is ErrRetrieval carrying what the provider said, for the log
// and for meta.provider_error as Clerk answers it.
func retrieval(err error) error {
	e := *ErrRetrieval
	e.Err = &providerError{err: err}
	return &e
}

type providerError struct{ err error }

func (e *providerError) Error() string { return e.err.Error() }
func (e *providerError) Unwrap() error { return e.err }

// APIMeta is the Backend API error's meta: the provider's error code and
// description, as Go's oauth2 words them (what Clerk answers), when the
// provider refused.
func (e *providerError) APIMeta() map[string]any {
	var re *oauth.RefreshError
	if !errors.As(e.err, &re) || re.Code == "" {
		return nil
	}
	msg := fmt.Sprintf("oauth2: %q", re.Code)
	if re.Description != "" {
		msg += fmt.Sprintf(" %q", re.Description)
	}
	return map[string]any{"provider_error": msg}
}
