package token

import (
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// keySet is an immutable snapshot: everything a request needs is computed
// when keys change, so signing and serving the JWKS do no extra work.
type keySet struct {
	keys      []*loadedKey // every stored key, newest first
	active    *loadedKey   // nil only while NewSigner has not yet generated one
	published map[string]*rsa.PublicKey
	jwks      []byte
	etag      string
	refreshAt time.Time // when a published retired key drops out or a staged one starts signing; zero if neither
}

func buildSet(keys []*loadedKey, maxTTL time.Duration, now time.Time) (*keySet, error) {
	set := &keySet{keys: keys, published: map[string]*rsa.PublicKey{}}
	jwks := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, k := range keys {
		until, retired := k.publishedUntil(maxTTL)
		if !retired && set.active != nil {
			// A newer key signs: this one stopped when that one started,
			// whether or not Prune has recorded it yet.
			until, retired = set.active.CreatedAt.Add(maxTTL+PublishLeeway), true
		}
		if retired {
			if !now.Before(until) {
				continue
			}
			if set.refreshAt.IsZero() || until.Before(set.refreshAt) {
				set.refreshAt = until
			}
		} else if k.CreatedAt.After(now) { // staged: published, not signing yet
			if set.refreshAt.IsZero() || k.CreatedAt.Before(set.refreshAt) {
				set.refreshAt = k.CreatedAt
			}
		} else if set.active == nil {
			set.active = k
		}
		set.published[k.KID] = &k.priv.PublicKey
		jwks.Keys = append(jwks.Keys, jose.JSONWebKey{
			Key:       &k.priv.PublicKey,
			KeyID:     k.KID,
			Algorithm: Alg,
			Use:       "sig",
		})
	}
	b, err := json.Marshal(jwks)
	if err != nil {
		return nil, fmt.Errorf("token: encode JWKS: %w", err)
	}
	sum := sha256.Sum256(b)
	set.jwks = b
	set.etag = `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
	return set, nil
}

// JWKS returns the JSON Web Key Set of the keys published now: the active
// key and every retired key whose tokens may not have expired yet
// (REQ-JWT-07). The slice is shared between callers and must not be changed.
func (s *Signer) JWKS() []byte { return s.current().jwks }

// JWKSETag is a strong ETag (quotes included) for the bytes JWKS returns.
// A handler should prefer JWKSWithETag, which cannot pair the bytes of one
// key set with the tag of another across a concurrent rotation.
func (s *Signer) JWKSETag() string { return s.current().etag }

// JWKSWithETag returns the JWKS bytes and their ETag from one snapshot.
func (s *Signer) JWKSWithETag() ([]byte, string) {
	set := s.current()
	return set.jwks, set.etag
}
