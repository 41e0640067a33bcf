package passkey_test

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/passkey"
)

// memStore is the Store contract in memory, for these tests only; the portal
// keeps passkeys in SQL.
type memStore struct {
	mu         sync.Mutex
	challenges map[string]passkey.Challenge
	creds      map[string]passkey.Credential
}

func newMemStore() *memStore {
	return &memStore{challenges: map[string]passkey.Challenge{}, creds: map[string]passkey.Credential{}}
}

func (m *memStore) SaveChallenge(_ context.Context, c passkey.Challenge) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.challenges[c.ID] = c
	return nil
}

func (m *memStore) TakeChallenge(_ context.Context, id string) (*passkey.Challenge, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.challenges[id]
	if !ok {
		return nil, apperr.ErrNotFound
	}
	delete(m.challenges, id)
	return &c, nil
}

func (m *memStore) CredentialsOfUser(_ context.Context, userID string) ([]passkey.Credential, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []passkey.Credential
	for _, c := range m.creds {
		if c.UserID == userID {
			out = append(out, c)
		}
	}
	return out, nil
}

func (m *memStore) CredentialByID(_ context.Context, id []byte) (*passkey.Credential, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.creds[string(id)]
	if !ok {
		return nil, apperr.ErrNotFound
	}
	c.Transports = slices.Clone(c.Transports)
	return &c, nil
}

func (m *memStore) InsertCredential(_ context.Context, c passkey.Credential) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.creds[string(c.ID)]; ok {
		return apperr.ErrConflict
	}
	m.creds[string(c.ID)] = c
	return nil
}

func (m *memStore) UpdateCredentialUse(_ context.Context, id []byte, signCount uint32, backupState bool, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.creds[string(id)]
	if !ok {
		return apperr.ErrNotFound
	}
	if !(c.SignCount < signCount || (c.SignCount == 0 && signCount == 0)) {
		return apperr.ErrConflict
	}
	c.SignCount, c.BackupState, c.LastUsedAt = signCount, backupState, &at
	m.creds[string(id)] = c
	return nil
}

func (m *memStore) RenameCredential(_ context.Context, userID string, id []byte, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.creds[string(id)]
	if !ok || c.UserID != userID {
		return apperr.ErrNotFound
	}
	c.Name = name
	m.creds[string(id)] = c
	return nil
}

func (m *memStore) DeleteCredential(_ context.Context, userID string, id []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.creds[string(id)]
	if !ok || c.UserID != userID {
		return apperr.ErrNotFound
	}
	delete(m.creds, string(id))
	return nil
}
