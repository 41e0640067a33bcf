package store_test

import (
	"fmt"
	"testing"

	"github.com/portalhq/portal/internal/store"
)

func testSettings(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("Setting and SettingOrInit", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		if v, ok, err := s.Q.Setting(ctx, "cookie_secret"); v != "" || ok || err != nil {
			t.Errorf("missing Setting = %q, %v, %v", v, ok, err)
		}
		v, err := s.Q.SettingOrInit(ctx, "cookie_secret", func() string { return "first" })
		if err != nil || v != "first" {
			t.Fatalf("SettingOrInit = %q, %v; want first", v, err)
		}
		v, err = s.Q.SettingOrInit(ctx, "cookie_secret", func() string { return "second" })
		if err != nil || v != "first" {
			t.Errorf("SettingOrInit of a stored key = %q, %v; want first", v, err)
		}
		if v, ok, err := s.Q.Setting(ctx, "cookie_secret"); v != "first" || !ok || err != nil {
			t.Errorf("Setting = %q, %v, %v", v, ok, err)
		}
	})

	t.Run("SetSetting stores and replaces", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		for _, v := range []string{"one", "two"} {
			if err := s.Q.SetSetting(ctx, "fingerprint", v); err != nil {
				t.Fatal(err)
			}
			if got, ok, err := s.Q.Setting(ctx, "fingerprint"); got != v || !ok || err != nil {
				t.Errorf("after SetSetting(%q): Setting = %q, %v, %v", v, got, ok, err)
			}
		}
	})

	// Portals starting together must agree on generated secrets, or each
	// would reject the cookies the others sign.
	t.Run("concurrent SettingOrInit: every caller gets the same value", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		type got struct {
			v   string
			err error
		}
		rs := race(t, s, 20, func(i int) got {
			v, err := s.Q.SettingOrInit(ctx, "secret_key", func() string { return fmt.Sprintf("value-%d", i) })
			return got{v, err}
		})
		stored, ok, err := s.Q.Setting(ctx, "secret_key")
		if err != nil || !ok {
			t.Fatalf("Setting = %q, %v, %v", stored, ok, err)
		}
		for _, r := range rs {
			if r.err != nil || r.v != stored {
				t.Errorf("SettingOrInit = %q, %v; want the stored %q", r.v, r.err, stored)
			}
		}
	})
}
