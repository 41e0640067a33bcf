package token

import (
	"encoding/json"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// The compact signer writes the bytes go-jose's RS256 signer (with typ
// JWT), which the portal used before, writes for the same key and payload:
// PKCS #1 v1.5 signatures are deterministic, so whole tokens compare equal.
func TestCompactSignerMatchesGoJose(t *testing.T) {
	k, err := generateKey(start)
	if err != nil {
		t.Fatal(err)
	}
	priv, signer, err := parseKey(k)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: priv, KeyID: k.KID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []any{sessionClaims(t, start), map[string]any{}, map[string]any{"a": "<&>", "n": 1}} {
		payload, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := signer.sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		jws, err := ref.Sign(payload)
		if err != nil {
			t.Fatal(err)
		}
		want, err := jws.CompactSerialize()
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("payload %s:\n got %s\nwant %s", payload, got, want)
		}
	}
}
