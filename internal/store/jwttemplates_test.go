package store_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/jwttemplate"
	"github.com/portalhq/portal/internal/store"
)

var _ jwttemplate.Store = (*store.Q)(nil)

func testJWTTemplates(t *testing.T, open func(t *testing.T) *store.Store) {
	t.Run("create, read by ID and name, list, update, delete", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		tmpl := jwttemplate.Template{ID: "jtmp_1", Name: "supabase", Claims: json.RawMessage("{\n  \"aud\": \"x\"\n}"),
			Lifetime: 315360000 * time.Second, AllowedClockSkew: 5 * time.Second, CustomSigningKey: true,
			SigningAlgorithm: "HS256", SigningKey: "secret", CreatedAt: base, UpdatedAt: base}
		if err := s.Q.CreateJWTTemplate(ctx, tmpl); err != nil {
			t.Fatal(err)
		}
		dup := tmpl
		dup.ID = "jtmp_2"
		if err := s.Q.CreateJWTTemplate(ctx, dup); !errors.Is(err, store.ErrConflict) {
			t.Errorf("a second template named supabase: %v, want ErrConflict", err)
		}
		for _, get := range []func() (*jwttemplate.Template, error){
			func() (*jwttemplate.Template, error) { return s.Q.JWTTemplate(ctx, "jtmp_1") },
			func() (*jwttemplate.Template, error) { return s.Q.JWTTemplateByName(ctx, "supabase") },
		} {
			got, err := get()
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "supabase" || string(got.Claims) != string(tmpl.Claims) || got.Lifetime != tmpl.Lifetime ||
				got.AllowedClockSkew != tmpl.AllowedClockSkew || !got.CustomSigningKey || got.SigningKey != "secret" {
				t.Errorf("got %+v", got)
			}
			sameTime(t, "CreatedAt", got.CreatedAt, base)
		}
		other := tmpl
		other.ID, other.Name = "jtmp_3", "hasura"
		if err := s.Q.CreateJWTTemplate(ctx, other); err != nil {
			t.Fatal(err)
		}
		list, total, err := s.Q.JWTTemplates(ctx, 10, 0)
		if err != nil || len(list) != 2 || total != 2 || list[0].Name != "hasura" {
			t.Errorf("list = %+v, %d, %v", list, total, err)
		}
		// A page counts every template, not itself.
		list, total, err = s.Q.JWTTemplates(ctx, 1, 1)
		if err != nil || len(list) != 1 || total != 2 || list[0].Name != "supabase" {
			t.Errorf("limit 1 offset 1 = %+v, %d, %v; want supabase of 2", list, total, err)
		}
		other.Name = "supabase"
		if err := s.Q.UpdateJWTTemplate(ctx, other); !errors.Is(err, store.ErrConflict) {
			t.Errorf("renaming onto a taken name: %v", err)
		}
		tmpl.Lifetime, tmpl.UpdatedAt = time.Minute, at(time.Hour)
		if err := s.Q.UpdateJWTTemplate(ctx, tmpl); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.Q.JWTTemplate(ctx, "jtmp_1"); got.Lifetime != time.Minute {
			t.Errorf("after update: %+v", got)
		}
		if err := s.Q.DeleteJWTTemplate(ctx, "jtmp_1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Q.JWTTemplateByName(ctx, "supabase"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after delete: %v", err)
		}
		if err := s.Q.DeleteJWTTemplate(ctx, "jtmp_1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleting twice: %v", err)
		}
	})
}
