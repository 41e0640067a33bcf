package password

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/portalhq/portal/internal/apperr"
)

// fast keeps argon2 cheap so the package's tests run in well under a second.
var fast = Params{Memory: 64, Time: 1, Threads: 1}

func newFast(t *testing.T) *Hasher {
	t.Helper()
	return NewHasher(fast, 4, time.Second)
}

func mustHash(t *testing.T, h *Hasher, pw string) string {
	t.Helper()
	enc, err := h.Hash(context.Background(), pw)
	if err != nil {
		t.Fatalf("Hash: %v", err)
	}
	return enc
}

func verify(t *testing.T, h *Hasher, pw, enc string) (ok, rehash bool) {
	t.Helper()
	ok, rehash, err := h.Verify(context.Background(), pw, enc)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return ok, rehash
}

// REQ-PW-08: argon2id with its parameters and a unique salt stored in each hash.
func TestHashVerifyRoundTrip_REQ_PW_08(t *testing.T) {
	h := newFast(t)
	a := mustHash(t, h, "a perfectly fine passphrase")
	b := mustHash(t, h, "a perfectly fine passphrase")
	if !strings.HasPrefix(a, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not PHC argon2id with its params", a)
	}
	if a == b {
		t.Fatal("two hashes of one password are equal: salt is not unique")
	}
	for _, enc := range []string{a, b} {
		if ok, rehash := verify(t, h, "a perfectly fine passphrase", enc); !ok || rehash {
			t.Fatalf("Verify = %v, rehash %v; want true, false", ok, rehash)
		}
	}
}

func TestDefaultParamsEncoding_REQ_PW_08(t *testing.T) {
	h := NewHasher(DefaultParams, 0, 0)
	enc := mustHash(t, h, "correct horse battery staple")
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q lacks the default parameters", enc)
	}
	parts := strings.Split(enc, "$")
	if len(parts[4]) != 22 || len(parts[5]) != 43 { // 16 and 32 bytes, unpadded base64
		t.Fatalf("salt %q or key %q has the wrong length", parts[4], parts[5])
	}
	if h.Params() != DefaultParams {
		t.Fatalf("Params() = %+v", h.Params())
	}
}

func TestVerifyWrongPassword(t *testing.T) {
	h := newFast(t)
	enc := mustHash(t, h, "a perfectly fine passphrase")
	for _, pw := range []string{"a perfectly fine passphras", "", "A perfectly fine passphrase", "a perfectly fine passphrase "} {
		if ok, rehash := verify(t, h, pw, enc); ok || rehash {
			t.Errorf("Verify(%q) = %v, rehash %v; want false, false", pw, ok, rehash)
		}
	}
}

// REQ-PW-08: parameters stored per hash let old hashes be upgraded on sign-in.
func TestNeedsRehashWhenParamsChange_REQ_PW_08(t *testing.T) {
	old := NewHasher(fast, 1, time.Second)
	enc := mustHash(t, old, "a perfectly fine passphrase")
	stronger := NewHasher(Params{Memory: 128, Time: 2, Threads: 1}, 1, time.Second)
	ok, rehash := verify(t, stronger, "a perfectly fine passphrase", enc)
	if !ok || !rehash {
		t.Fatalf("Verify with new params = %v, rehash %v; want true, true", ok, rehash)
	}
	fresh := mustHash(t, stronger, "a perfectly fine passphrase")
	if ok, rehash := verify(t, stronger, "a perfectly fine passphrase", fresh); !ok || rehash {
		t.Fatalf("rehashed Verify = %v, rehash %v; want true, false", ok, rehash)
	}
	if ok, rehash := verify(t, stronger, "wrong", enc); ok || rehash {
		t.Fatalf("a failed Verify must not ask for a rehash")
	}
}

// REQ-PW-02: canonically equivalent input verifies the same.
func TestNFCEquivalence_REQ_PW_02(t *testing.T) {
	h := newFast(t)
	composed := "caf\u00e9 au lait, s'il vous pla\u00eet"
	decomposed := "cafe\u0301 au lait, s'il vous plai\u0302t"
	enc := mustHash(t, h, decomposed)
	if ok, _ := verify(t, h, composed, enc); !ok {
		t.Fatal("composed form did not verify against decomposed hash")
	}
	enc = mustHash(t, h, composed)
	if ok, _ := verify(t, h, decomposed, enc); !ok {
		t.Fatal("decomposed form did not verify against composed hash")
	}
}

// REQ-PW-04: the whole input counts and case is kept.
func TestNoTruncationOrCaseFolding_REQ_PW_04(t *testing.T) {
	h := newFast(t)
	base := strings.Repeat("ab", 100)[:199]
	enc := mustHash(t, h, base+"x")
	if ok, _ := verify(t, h, base+"y", enc); ok {
		t.Fatal("200-char passwords differing in the last char verified: input truncated")
	}
	emoji := strings.Repeat("🔑", 100) // 400 bytes, beyond bcrypt's 72
	enc = mustHash(t, h, emoji+"a")
	if ok, _ := verify(t, h, emoji+"b", enc); ok {
		t.Fatal("long multibyte passwords differing at the end verified")
	}
	enc = mustHash(t, h, "Sunny Meadow Lantern")
	if ok, _ := verify(t, h, "sunny meadow lantern", enc); ok {
		t.Fatal("case-folded password verified")
	}
}

// REQ-PW-09: over-long input is refused before any hashing.
func TestInputCap_REQ_PW_09(t *testing.T) {
	h := newFast(t)
	ctx := context.Background()
	limit := strings.Repeat("x", MaxBytes)
	enc := mustHash(t, h, limit)
	if ok, _ := verify(t, h, limit, enc); !ok {
		t.Fatal("a password of exactly MaxBytes did not round-trip")
	}

	before := h.computed.Load()
	long := limit + "x"
	if _, err := h.Hash(ctx, long); !errors.Is(err, ErrTooLong) {
		t.Errorf("Hash: err = %v, want ErrTooLong", err)
	}
	if _, _, err := h.Verify(ctx, long, enc); !errors.Is(err, ErrTooLong) {
		t.Errorf("Verify: err = %v, want ErrTooLong", err)
	}
	if err := h.DummyVerify(ctx, long); !errors.Is(err, ErrTooLong) {
		t.Errorf("DummyVerify: err = %v, want ErrTooLong", err)
	}
	if n := h.computed.Load() - before; n != 0 {
		t.Errorf("%d argon2 runs for over-long input, want 0", n)
	}
	if e, ok := apperr.As(ErrTooLong); !ok || e.Code != apperr.Invalid || e.Field != "password" {
		t.Errorf("ErrTooLong = %#v", ErrTooLong)
	}
}

// REQ-PW-09: a stored hash cannot make the server do unbounded work.
func TestAbsurdOrMalformedStoredHashRefused_REQ_PW_09(t *testing.T) {
	h := newFast(t)
	good := mustHash(t, h, "a perfectly fine passphrase")
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	with := func(params string) string { return "$argon2id$v=19$" + params + "$" + salt + "$" + key }

	cases := map[string]string{
		"memory over 256 MiB":  with("m=262145,t=1,p=1"),
		"memory at uint32 max": with("m=4294967295,t=1,p=1"),
		"memory overflows":     with("m=4294967296,t=1,p=1"),
		"time over 10":         with("m=64,t=11,p=1"),
		"time zero":            with("m=64,t=0,p=1"),
		"threads over 8":       with("m=1024,t=1,p=9"),
		"threads zero":         with("m=64,t=1,p=0"),
		"threads overflow":     with("m=64,t=1,p=256"),
		"params out of order":  with("t=1,m=64,p=1"),
		"signed number":        with("m=+64,t=1,p=1"),
		"extra param":          with("m=64,t=1,p=1,x=1"),
		"argon2i":              strings.Replace(good, "argon2id", "argon2i", 1),
		"old version":          strings.Replace(good, "v=19", "v=16", 1),
		"bad salt base64":      "$argon2id$v=19$m=64,t=1,p=1$!!!$" + key,
		"short salt":           "$argon2id$v=19$m=64,t=1,p=1$AAAA$" + key,
		"short key":            "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$AAAA",
		"missing field":        "$argon2id$v=19$m=64,t=1,p=1$" + salt,
		"bcrypt cost over 14":  "$2a$15$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"bcrypt malformed":     "$2a$10$N9qo8uLOick",
		"empty":                "",
	}
	for name, enc := range cases {
		t.Run(name, func(t *testing.T) {
			before := h.computed.Load()
			ok, rehash, err := h.Verify(context.Background(), "a perfectly fine passphrase", enc)
			if err == nil || ok || rehash {
				t.Fatalf("Verify(%q) = %v, %v, %v; want an error", enc, ok, rehash, err)
			}
			if n := h.computed.Load() - before; n != 0 {
				t.Fatalf("%d argon2 runs for a refused hash, want 0", n)
			}
		})
	}
}

func TestNewHasherRejectsParamsVerifyWouldRefuse_REQ_PW_09(t *testing.T) {
	for _, p := range []Params{{}, {Memory: 300 * 1024, Time: 1, Threads: 1}, {Memory: 64, Time: 11, Threads: 1}, {Memory: 64, Time: 1, Threads: 9}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewHasher(%+v) did not panic", p)
				}
			}()
			NewHasher(p, 1, time.Second)
		}()
	}
}

// REQ-PW-09: concurrent computations are capped; a caller that cannot get a
// slot in time is told to retry instead of piling on.
func TestConcurrencyCap_REQ_PW_09(t *testing.T) {
	h := NewHasher(fast, 1, 20*time.Millisecond)
	ctx := context.Background()
	enc := mustHash(t, h, "a perfectly fine passphrase")

	if err := h.slots.Enter(ctx); err != nil { // another computation holds the only slot
		t.Fatal(err)
	}
	if _, err := h.Hash(ctx, "a perfectly fine passphrase"); !errors.Is(err, ErrBusy) {
		t.Fatalf("Hash with no free slot: err = %v, want ErrBusy", err)
	}
	if _, _, err := h.Verify(ctx, "a perfectly fine passphrase", enc); !errors.Is(err, ErrBusy) {
		t.Fatalf("Verify with no free slot: err = %v, want ErrBusy", err)
	}
	if err := h.DummyVerify(ctx, "a perfectly fine passphrase"); !errors.Is(err, ErrBusy) {
		t.Fatalf("DummyVerify with no free slot: err = %v, want ErrBusy", err)
	}
	e, _ := apperr.As(ErrBusy)
	if e.Code != apperr.Unavailable || !strings.Contains(e.Message, "try again") {
		t.Fatalf("ErrBusy = %#v", e)
	}

	// A context that ends first wins over a long wait.
	patient := NewHasher(fast, 1, time.Hour)
	if err := patient.slots.Enter(ctx); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := patient.Hash(cctx, "x"); !errors.Is(err, ErrBusy) {
		t.Fatalf("Hash with ended ctx: err = %v, want ErrBusy", err)
	}

	h.slots.Leave()
	if _, err := h.Hash(ctx, "a perfectly fine passphrase"); err != nil {
		t.Fatalf("Hash after the slot was freed: %v", err)
	}
}

// Callers beyond the cap queue for a slot and all finish when the wait allows.
func TestConcurrencyQueues_REQ_PW_09(t *testing.T) {
	h := NewHasher(fast, 2, 10*time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			_, err := h.Hash(context.Background(), "a perfectly fine passphrase")
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("queued Hash failed: %v", err)
		}
	}
}

// DummyVerify must cost what a failed Verify costs, with h's own parameters,
// so an unknown identifier is not faster to reject than a wrong password.
func TestDummyVerifyDoesRealWork(t *testing.T) {
	h := newFast(t)
	p, salt, key, err := decode(h.dummy)
	if err != nil {
		t.Fatalf("dummy hash does not decode: %v", err)
	}
	if p != h.Params() || len(salt) != saltLen || len(key) != keyLen {
		t.Fatalf("dummy hash uses %+v, salt %d, key %d; want the Hasher's", p, len(salt), len(key))
	}
	enc := mustHash(t, h, "a perfectly fine passphrase")

	before := h.computed.Load()
	if ok, _ := verify(t, h, "wrong guess", enc); ok {
		t.Fatal("wrong guess verified")
	}
	verifyRuns := h.computed.Load() - before

	before = h.computed.Load()
	if err := h.DummyVerify(context.Background(), "wrong guess"); err != nil {
		t.Fatalf("DummyVerify: %v", err)
	}
	if dummyRuns := h.computed.Load() - before; dummyRuns != verifyRuns || dummyRuns != 1 {
		t.Fatalf("DummyVerify ran argon2 %d times, failed Verify %d; want 1 each", dummyRuns, verifyRuns)
	}
	// Nothing verifies against the dummy, not even the empty password.
	if ok, _ := verify(t, h, "", h.dummy); ok {
		t.Fatal("empty password matched the dummy hash")
	}
}

func BenchmarkHash(b *testing.B) {
	h := NewHasher(DefaultParams, 0, 0)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

// Imported bcrypt hashes verify, ask to be replaced by argon2id, and never
// match on a prefix of a password longer than bcrypt reads (SECURITY.md T2).
func TestBcryptImportsVerifyAndAskForRehash(t *testing.T) {
	h := newFast(t)
	pw := "correct horse battery staple"
	digest, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckDigest(DigestBcrypt, string(digest)); err != nil {
		t.Fatalf("CheckDigest: %v", err)
	}
	ok, rehash, err := h.Verify(context.Background(), pw, string(digest))
	if !ok || !rehash || err != nil {
		t.Errorf("Verify(right password) = %v, %v, %v; want a match that asks for a rehash", ok, rehash, err)
	}
	if ok, _, err := h.Verify(context.Background(), pw+"!", string(digest)); ok || err != nil {
		t.Errorf("Verify(wrong password) = %v, %v", ok, err)
	}
	long := strings.Repeat("x", 72)
	longDigest, _ := bcrypt.GenerateFromPassword([]byte(long), bcrypt.MinCost)
	if ok, _, _ := h.Verify(context.Background(), long+"anything", string(longDigest)); ok {
		t.Error("a password longer than 72 bytes matched on its first 72")
	}
	for hasher, digest := range map[string]string{DigestBcrypt: "$2a$04$short", DigestArgon2id: string(digest), "md5": "x"} {
		if CheckDigest(hasher, digest) == nil {
			t.Errorf("CheckDigest(%s, %q) accepted", hasher, digest)
		}
	}
	if err := CheckDigest(DigestArgon2id, mustHash(t, h, pw)); err != nil {
		t.Errorf("CheckDigest(argon2id): %v", err)
	}
}

// An argon2id digest imported from a system that hashed the bytes it
// received, not their NFC form, verifies with those bytes and asks to be
// replaced by the portal's own hash (REQ-PW-04: verified as received;
// REQ-PW-08: upgraded on sign-in). Its NFC form is still refused, as the
// other system would have refused it, and a wrong password stays wrong.
func TestImportedArgon2idOfUnnormalisedBytesVerifies_REQ_PW_04(t *testing.T) {
	h := newFast(t)
	decomposed := "cafe\u0301 au lait, s'il vous plai\u0302t"
	salt := []byte("0123456789abcdef")
	key, err := h.deriveBytes(context.Background(), []byte(decomposed), salt, fast, keyLen)
	if err != nil {
		t.Fatal(err)
	}
	imported := encode(fast, salt, key)
	if err := CheckDigest(DigestArgon2id, imported); err != nil {
		t.Fatalf("CheckDigest: %v", err)
	}
	if ok, rehash := verify(t, h, decomposed, imported); !ok || !rehash {
		t.Errorf("the bytes the digest was made from: ok %v, rehash %v; want a match to rehash", ok, rehash)
	}
	if ok, _ := verify(t, h, "caf\u00e9 au lait, s'il vous pla\u00eet", imported); ok {
		t.Error("the composed form matched a digest of the decomposed bytes")
	}
	if ok, _ := verify(t, h, "cafe\u0301 au lait, s'il vous plai\u0302t!", imported); ok {
		t.Error("a wrong password matched")
	}
	// The portal's own hashes are unchanged: made and matched from NFC.
	if ok, rehash := verify(t, h, decomposed, mustHash(t, h, decomposed)); !ok || rehash {
		t.Errorf("own hash: ok %v, rehash %v", ok, rehash)
	}
}

// A hasher Clerk takes and the portal does not is refused naming it and
// what to do instead; none at all asks for one of the two.
func TestUnsupportedHasherNamed(t *testing.T) {
	var e *apperr.Error
	if err := CheckDigest("pbkdf2_sha256", "pbkdf2_sha256$600000$salt$hash"); !errors.As(err, &e) ||
		e.Field != "password_hasher" || !strings.Contains(e.Message, `"pbkdf2_sha256"`) ||
		!strings.Contains(e.Message, "skip_password_requirement") {
		t.Errorf("pbkdf2_sha256: %v", err)
	}
	if err := CheckDigest("", "x"); !errors.As(err, &e) || e.Message != "Use bcrypt or argon2id." {
		t.Errorf("no hasher: %v", err)
	}
}
