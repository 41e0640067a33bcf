package token

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// memStore is an in-memory KeyStore with the semantics the database store
// must have. Two Signers sharing one stand in for two portal processes.
type memStore struct {
	mu   sync.Mutex
	keys map[string]Key
}

func newMemStore() *memStore { return &memStore{keys: map[string]Key{}} }

func (m *memStore) SigningKeys(context.Context) ([]Key, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Key, 0, len(m.keys))
	for _, k := range m.keys {
		out = append(out, cloneKey(k))
	}
	return out, nil
}

func (m *memStore) InsertSigningKey(_ context.Context, k Key) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.keys[k.KID]; ok {
		return fmt.Errorf("key %s exists", k.KID)
	}
	m.keys[k.KID] = cloneKey(k)
	return nil
}

func (m *memStore) RetireSigningKey(_ context.Context, kid string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[kid]
	if !ok {
		return fmt.Errorf("key %s not found", kid)
	}
	k.RetiredAt = &at
	m.keys[kid] = k
	return nil
}

func (m *memStore) DeleteSigningKey(_ context.Context, kid string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.keys, kid)
	return nil
}

func (m *memStore) get(kid string) (Key, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[kid]
	return cloneKey(k), ok
}

func (m *memStore) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.keys)
}

func cloneKey(k Key) Key {
	k.PrivatePEM = slices.Clone(k.PrivatePEM)
	if k.RetiredAt != nil {
		at := *k.RetiredAt
		k.RetiredAt = &at
	}
	return k
}
