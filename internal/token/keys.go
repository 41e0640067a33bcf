// Package token signs the portal's session JWTs and publishes the keys that
// verify them (DESIGN.md "The session token", SECURITY.md §1.9).
//
// Keys live in the database behind KeyStore so that every portal process signs
// with the same key and publishes the same JWKS. A process holds a snapshot
// of the keys; Reload refreshes it after another process has rotated.
package token

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/jonboulle/clockwork"
)

const (
	// Alg is the only algorithm the portal signs with or accepts (REQ-JWT-02).
	Alg = "RS256"

	// PublishLeeway keeps a retired key published a little past the expiry of
	// the last token it signed. It also covers a process that signs with the
	// retired key until its next Reload, so call Reload more often than this.
	PublishLeeway = 5 * time.Minute

	// StageAhead is how long a staged key (Stage, `portal keys rotate`) is
	// published before it signs: longer than the JWKS may be cached
	// (max-age 300 s), plus the minute in which every portal process
	// reloads the keys, so that an app refetching the JWKS for a new kid,
	// through any cache or from any machine, finds it.
	StageAhead = 10 * time.Minute

	rsaBits    = 2048
	pemPrivate = "PRIVATE KEY"
)

var errNoKey = errors.New("token: no signing key that may sign; run portal keys rotate")

// Key is a signing key as the store keeps it.
type Key struct {
	KID        string
	Alg        string // always Alg
	PrivatePEM []byte // PKCS#8
	// CreatedAt is when the key may start signing: its creation, or a
	// moment ahead for a staged key, published until then without signing.
	CreatedAt time.Time
	RetiredAt *time.Time // when it stopped signing; nil while it may sign
}

// KeyStore persists signing keys. SigningKeys returns every stored key.
type KeyStore interface {
	SigningKeys(ctx context.Context) ([]Key, error)
	InsertSigningKey(ctx context.Context, k Key) error
	RetireSigningKey(ctx context.Context, kid string, at time.Time) error
	DeleteSigningKey(ctx context.Context, kid string) error
}

// Signer signs tokens with the active key and publishes the JWKS.
// It is safe for concurrent use; Sign, JWKS and Verify take no lock.
type Signer struct {
	ks     KeyStore
	clock  clockwork.Clock
	maxTTL time.Duration

	mu  sync.Mutex // serialises changes of set
	set atomic.Pointer[keySet]
}

// loadedKey is a stored key with its parsed material, kept across reloads
// so a reload does not re-parse PEM or rebuild signers.
type loadedKey struct {
	Key
	priv   *rsa.PrivateKey
	signer *compactSigner
}

func (k *loadedKey) publishedUntil(maxTTL time.Duration) (time.Time, bool) {
	if k.RetiredAt == nil {
		return time.Time{}, false
	}
	return k.RetiredAt.Add(maxTTL + PublishLeeway), true
}

// A PendingKey is a signing key being generated in the background. A first
// start on an empty database begins one before it migrates (GenerateAhead),
// so that the two overlap: a 2048-bit RSA key takes from 20 ms to several
// hundred, depending on how soon its primes are found.
type PendingKey struct {
	done chan struct{}
	key  Key
	err  error
}

// GenerateAhead starts generating a key and returns at once. A Signer given
// it (WithPendingKey) that finds no key in the store waits for and stores
// this one instead of generating its own; one that finds a key ignores it.
func GenerateAhead(clock clockwork.Clock) *PendingKey {
	p := &PendingKey{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.key, p.err = generateKey(clock.Now())
	}()
	return p
}

func (p *PendingKey) wait(ctx context.Context) (Key, error) {
	select {
	case <-p.done:
		return p.key, p.err
	case <-ctx.Done():
		return Key{}, ctx.Err()
	}
}

// An Option adjusts NewSigner.
type Option func(*signerOptions)

type signerOptions struct {
	pending *PendingKey
}

// WithPendingKey makes NewSigner store p's key when the store holds none
// that may sign. A nil p changes nothing.
func WithPendingKey(p *PendingKey) Option {
	return func(o *signerOptions) { o.pending = p }
}

// NewSigner loads the keys from ks and, when none may sign, generates and
// stores one. maxTokenTTL is the longest lifetime of any token signed, which
// bounds how long a retired key stays published.
func NewSigner(ctx context.Context, ks KeyStore, clock clockwork.Clock, maxTokenTTL time.Duration, opts ...Option) (*Signer, error) {
	if maxTokenTTL <= 0 {
		return nil, errors.New("token: maxTokenTTL must be positive")
	}
	var o signerOptions
	for _, opt := range opts {
		opt(&o)
	}
	s := &Signer{ks: ks, clock: clock, maxTTL: maxTokenTTL}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(ctx); err != nil {
		return nil, err
	}
	if s.set.Load().active != nil {
		return s, nil
	}
	if o.pending != nil {
		k, err := o.pending.wait(ctx)
		if err != nil {
			return nil, err
		}
		if err := s.ks.InsertSigningKey(ctx, k); err != nil {
			return nil, fmt.Errorf("token: store key: %w", err)
		}
	} else if _, err := s.insertNewKey(ctx); err != nil {
		return nil, err
	}
	if err := s.reloadLocked(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// ActiveKID names the key Sign uses now, "" if there is none.
func (s *Signer) ActiveKID() string {
	if k := s.current().active; k != nil {
		return k.KID
	}
	return ""
}

// Reload re-reads the keys from the store, picking up a rotation made by
// another process. When the store holds no key that may sign, it fails and
// so does Sign until a key is rotated in.
func (s *Signer) Reload(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(ctx); err != nil {
		return err
	}
	if s.set.Load().active == nil {
		return errNoKey
	}
	return nil
}

// Rotate stores a new key, makes it the active one and retires every other
// key that could still sign. The retired keys stay published until the
// tokens they signed have expired (REQ-JWT-07).
func (s *Signer) Rotate(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// List before inserting, from the store rather than our snapshot: another
	// process may have added a key we have not loaded. Retiring only keys
	// that existed before ours means two racing rotations cannot retire each
	// other's new key; the loser is left for Prune.
	keys, err := s.ks.SigningKeys(ctx)
	if err != nil {
		return "", fmt.Errorf("token: list keys: %w", err)
	}
	fresh, err := s.insertNewKey(ctx)
	if err != nil {
		return "", err
	}
	now := s.clock.Now()
	for _, k := range keys {
		if k.RetiredAt == nil {
			if err := s.ks.RetireSigningKey(ctx, k.KID, now); err != nil {
				return "", fmt.Errorf("token: retire key %s: %w", k.KID, err)
			}
		}
	}
	return fresh.KID, s.reloadLocked(ctx)
}

// Stage stores a new key that is published at once and signs from ahead
// on, when the keys that sign now give way to it (Prune then retires them,
// and they stay published until their tokens have expired). Every process
// publishes it from its next Reload and switches to it at the same moment,
// so no app meets a token whose key it cannot fetch (REQ-JWT-07). It
// returns the key's kid and when it starts signing.
func (s *Signer) Stage(ctx context.Context, ahead time.Duration) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, err := generateKey(s.clock.Now().Add(ahead))
	if err != nil {
		return "", time.Time{}, err
	}
	if err := s.ks.InsertSigningKey(ctx, k); err != nil {
		return "", time.Time{}, fmt.Errorf("token: store key: %w", err)
	}
	return k.KID, k.CreatedAt, s.reloadLocked(ctx)
}

// Prune deletes keys whose publication window has ended. It also retires
// unretired keys other than the active one that may sign already: those a
// staged key has replaced, and those two processes starting on an empty
// store at once would otherwise leave published for ever.
func (s *Signer) Prune(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.reloadLocked(ctx); err != nil {
		return err
	}
	set, now := s.set.Load(), s.clock.Now()
	for _, k := range set.keys {
		until, retired := k.publishedUntil(s.maxTTL)
		if !retired && set.active != nil && k != set.active && !k.CreatedAt.After(now) {
			// Replaced when the active key started signing: recorded as
			// such, so that its publication ends when buildSet ended it.
			at := set.active.CreatedAt
			if err := s.ks.RetireSigningKey(ctx, k.KID, at); err != nil {
				return fmt.Errorf("token: retire key %s: %w", k.KID, err)
			}
			until, retired = at.Add(s.maxTTL+PublishLeeway), true
		}
		if retired && !now.Before(until) {
			if err := s.ks.DeleteSigningKey(ctx, k.KID); err != nil {
				return fmt.Errorf("token: delete key %s: %w", k.KID, err)
			}
		}
	}
	return s.reloadLocked(ctx)
}

func (s *Signer) reloadLocked(ctx context.Context) error {
	stored, err := s.ks.SigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("token: list keys: %w", err)
	}
	known := map[string]*loadedKey{}
	if old := s.set.Load(); old != nil {
		for _, k := range old.keys {
			known[k.KID] = k
		}
	}
	keys := make([]*loadedKey, 0, len(stored))
	for _, k := range stored {
		lk := &loadedKey{Key: k}
		if prev, ok := known[k.KID]; ok {
			lk.priv, lk.signer = prev.priv, prev.signer
		} else if lk.priv, lk.signer, err = parseKey(k); err != nil {
			return err
		}
		keys = append(keys, lk)
	}
	sort.Slice(keys, func(i, j int) bool { return newer(keys[i].Key, keys[j].Key) })
	set, err := buildSet(keys, s.maxTTL, s.clock.Now())
	if err != nil {
		return err
	}
	s.set.Store(set)
	return nil
}

// current returns the snapshot, rebuilt first when a retired key's
// publication window has ended since it was built.
func (s *Signer) current() *keySet {
	set := s.set.Load()
	if set.refreshAt.IsZero() || s.clock.Now().Before(set.refreshAt) {
		return set
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	set = s.set.Load()
	now := s.clock.Now()
	if set.refreshAt.IsZero() || now.Before(set.refreshAt) {
		return set
	}
	next, err := buildSet(set.keys, s.maxTTL, now)
	if err != nil {
		// The keys were encoded once already; keep serving the old set.
		return set
	}
	s.set.Store(next)
	return next
}

// newer orders keys newest first; the kid breaks ties so that every process
// picks the same active key.
func newer(a, b Key) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.After(b.CreatedAt)
	}
	return a.KID > b.KID
}

func (s *Signer) insertNewKey(ctx context.Context) (Key, error) {
	k, err := generateKey(s.clock.Now())
	if err != nil {
		return Key{}, err
	}
	if err := s.ks.InsertSigningKey(ctx, k); err != nil {
		return Key{}, fmt.Errorf("token: store key: %w", err)
	}
	return k, nil
}

// generateKey makes an RSA key whose kid is its RFC 7638 thumbprint, so the
// kid says nothing but which key it is.
func generateKey(now time.Time) (Key, error) {
	priv, err := rsa.GenerateKey(rand.Reader, rsaBits)
	if err != nil {
		return Key{}, fmt.Errorf("token: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return Key{}, fmt.Errorf("token: encode key: %w", err)
	}
	jwk := jose.JSONWebKey{Key: &priv.PublicKey}
	thumb, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return Key{}, fmt.Errorf("token: thumbprint: %w", err)
	}
	return Key{
		KID:        base64.RawURLEncoding.EncodeToString(thumb),
		Alg:        Alg,
		PrivatePEM: pem.EncodeToMemory(&pem.Block{Type: pemPrivate, Bytes: der}),
		CreatedAt:  now,
	}, nil
}

// parseKey fails on anything unexpected: a key we cannot use must stop the
// portal rather than be skipped silently.
func parseKey(k Key) (*rsa.PrivateKey, *compactSigner, error) {
	if k.Alg != Alg {
		return nil, nil, fmt.Errorf("token: key %s: unsupported alg %q", k.KID, k.Alg)
	}
	block, _ := pem.Decode(k.PrivatePEM)
	if block == nil || block.Type != pemPrivate {
		return nil, nil, fmt.Errorf("token: key %s: not a PKCS#8 PEM block", k.KID)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("token: key %s: %w", k.KID, err)
	}
	priv, ok := parsed.(*rsa.PrivateKey)
	if !ok || priv.N.BitLen() < rsaBits {
		return nil, nil, fmt.Errorf("token: key %s: not an RSA key of at least %d bits", k.KID, rsaBits)
	}
	signer, err := newCompactSigner(priv, k.KID)
	if err != nil {
		return nil, nil, fmt.Errorf("token: key %s: %w", k.KID, err)
	}
	return priv, signer, nil
}
