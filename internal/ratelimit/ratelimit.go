// Package ratelimit is an in-memory keyed rate limiter (REQ-RL-02, REQ-RL-04).
//
// Each key is limited by GCRA (the generic cell rate algorithm, a token bucket
// stored as a single timestamp): a key may spend Limit requests at once, then
// earns one back every Per/Limit. Over a long run a key never gets more than
// Limit per Per; in the worst case a burst right after a full refill lets
// 2·Limit−1 through within one span of length Per. The state is one int64 per
// key, so the limiter stays small and a key's state expires exactly when it
// is back to a full bucket.
//
// A key must always be used with the same Window: callers namespace their
// keys ("signin:ip:" + IPKey(addr), "otp:acct:" + userID).
//
// On several machines, Share adds a second, shared copy of the state (the
// database), so that a limit holds across all of them rather than once per
// process.
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash/maphash"
	"net/netip"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"
)

// Window is a limit of Limit requests per Per. Limit must be ≥ 1 and Per > 0.
type Window struct {
	Limit int
	Per   time.Duration
}

// interval is the time it takes to earn one request back.
func (w Window) interval() int64 {
	if w.Limit < 1 || w.Per <= 0 {
		panic("ratelimit: Window needs Limit ≥ 1 and Per > 0")
	}
	return int64(w.Per) / int64(w.Limit)
}

const shardCount = 32

// Limiter is safe for concurrent use. Keys are spread over shards with a
// per-limiter random hash seed, so contention stays low and nobody can aim
// their keys at one shard.
type Limiter struct {
	clock    clockwork.Clock
	seed     maphash.Seed
	perShard int
	shards   [shardCount]shard

	shared   Shared
	onShared func(error)
}

// Shared keeps GCRA state where every process of an instance sees it. Take
// spends one request of key's allowance at now (Unix nanoseconds), one
// request being earned back every step nanoseconds and at most per
// nanoseconds of debt allowed: the same rule as the in-memory limiter, done
// atomically by the implementation. When it refuses, retryAfter says how long
// until one more would pass.
type Shared interface {
	TakeRate(ctx context.Context, key string, now, step, per int64) (ok bool, retryAfter time.Duration, err error)
	// PeekRate answers as TakeRate would without spending anything.
	PeekRate(ctx context.Context, key string, now, step, per int64) (ok bool, retryAfter time.Duration, err error)
}

// sharedTimeout bounds one call to the shared state; past it, or on any error,
// the process's own decision stands.
const sharedTimeout = 2 * time.Second

// Share makes Allow spend from s as well, after this process's own state
// allows the request: the own state turns a flood away without a round trip,
// the shared one makes the limit hold across processes. Check looks at both
// the same way, without spending. s sees only a SHA-256 of each key (keys
// hold addresses). When s fails, Allow and Check go by the process's own
// state and report the error to onErr. Reset acts on the process's own state
// only. Call Share before the limiter is used.
func (l *Limiter) Share(s Shared, onErr func(error)) {
	l.shared, l.onShared = s, onErr
}

type shard struct {
	mu sync.Mutex
	// tat is the "theoretical arrival time" per key, in Unix nanoseconds:
	// the moment the key's bucket is full again.
	tat map[string]int64
}

// New returns a limiter that tracks at most about maxKeys keys.
//
// When a shard is full, a new key makes room by dropping the expired keys
// in a small random sample of that shard or, if none has expired, the sampled
// key closest to a full bucket: the key whose state is worth least. A flood
// of fresh keys (say one per IPv6 address) therefore mostly pushes out other
// fresh keys rather than a heavily penalised account, at a constant cost per
// new key. The trade-off remains that a forgotten key starts over with a full
// bucket: size maxKeys well above the number of keys live at once, and keep
// per-account limits in a limiter apart from per-IP ones so that IP floods
// cannot evict account counters.
func New(clock clockwork.Clock, maxKeys int) *Limiter {
	per := (maxKeys + shardCount - 1) / shardCount
	if per < 1 {
		per = 1
	}
	l := &Limiter{clock: clock, seed: maphash.MakeSeed(), perShard: per}
	for i := range l.shards {
		l.shards[i].tat = make(map[string]int64)
	}
	return l
}

func (l *Limiter) shard(key string) *shard {
	return &l.shards[maphash.String(l.seed, key)%shardCount]
}

// Allow spends one request of key's allowance. When the allowance is used up
// it spends nothing and reports how long until one more request would pass.
func (l *Limiter) Allow(key string, w Window) (ok bool, retryAfter time.Duration) {
	ok, retryAfter = l.take(key, w, true)
	if !ok || l.shared == nil {
		return ok, retryAfter
	}
	return l.sharedAnswer(key, w, l.shared.TakeRate)
}

// sharedAnswer asks the shared state (take or peek) about key; when it
// cannot answer, the process's own yes stands.
func (l *Limiter) sharedAnswer(key string, w Window,
	ask func(ctx context.Context, key string, now, step, per int64) (bool, time.Duration, error)) (bool, time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	sum := sha256.Sum256([]byte(key))
	ok, retryAfter, err := ask(ctx, hex.EncodeToString(sum[:]), l.clock.Now().UnixNano(), w.interval(), int64(w.Per))
	if err != nil {
		if l.onShared != nil {
			l.onShared(err)
		}
		return true, 0
	}
	return ok, retryAfter
}

// Check reports what Allow would answer without spending anything, from the
// shared state too when there is one. Use it with Allow for limits that
// count only failures: Check before the attempt, Allow after it fails.
// (Reset after a success gives back only this process's count.)
func (l *Limiter) Check(key string, w Window) (ok bool, retryAfter time.Duration) {
	ok, retryAfter = l.take(key, w, false)
	if !ok || l.shared == nil {
		return ok, retryAfter
	}
	return l.sharedAnswer(key, w, l.shared.PeekRate)
}

func (l *Limiter) take(key string, w Window, spend bool) (bool, time.Duration) {
	step := w.interval()
	now := l.clock.Now().UnixNano()
	s := l.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()

	tat, found := s.tat[key]
	if tat < now {
		tat = now
	}
	next := tat + step
	if over := next - now - int64(w.Per); over > 0 {
		return false, time.Duration(over)
	}
	if spend {
		if !found && len(s.tat) >= l.perShard {
			s.evict(now)
		}
		s.tat[key] = next
	}
	return true, 0
}

// evictSample is how many keys a full shard looks at to pick one to forget.
// Go randomises where map iteration starts, so this is a random sample.
const evictSample = 8

// evict drops the expired keys among a sample, or failing that the sampled
// key nearest expiry. Sampling keeps a full shard O(1) per new key.
func (s *shard) evict(now int64) {
	victim, least, dropped, seen := "", int64(0), false, 0
	for k, t := range s.tat {
		if seen++; seen > evictSample {
			break
		}
		if t <= now {
			delete(s.tat, k)
			dropped = true
			continue
		}
		if victim == "" || t < least {
			victim, least = k, t
		}
	}
	if !dropped && victim != "" {
		delete(s.tat, victim)
	}
}

// Reset forgets key, giving it a full allowance (after a successful sign-in,
// for instance).
func (l *Limiter) Reset(key string) {
	s := l.shard(key)
	s.mu.Lock()
	delete(s.tat, key)
	s.mu.Unlock()
}

// Sweep drops every key whose allowance is full again.
func (l *Limiter) Sweep() {
	now := l.clock.Now().UnixNano()
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		for k, t := range s.tat {
			if t <= now {
				delete(s.tat, k)
			}
		}
		s.mu.Unlock()
	}
}

// Run sweeps every interval until ctx is done. It is optional: a full shard
// sweeps itself, so Run only returns memory sooner after a burst of keys.
func (l *Limiter) Run(ctx context.Context, every time.Duration) {
	t := l.clock.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
			l.Sweep()
		}
	}
}

// Len returns the number of keys tracked.
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.tat)
		s.mu.Unlock()
	}
	return n
}

// IPKey returns the part of an address that identifies one client: the whole
// IPv4 address, or the /64 prefix of an IPv6 address, since one subscriber
// usually holds a whole /64 and could otherwise rotate through it.
func IPKey(a netip.Addr) string {
	a = a.Unmap()
	if a.Is4() || !a.IsValid() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
