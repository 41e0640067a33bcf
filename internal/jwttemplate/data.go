package jwttemplate

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
)

// Org is the session's active organization as a template sees it; nil
// when none is active (or before organizations exist).
type Org struct {
	ID, Slug, Name, ImageURL string
	PublicMetadata           json.RawMessage
	Role                     string // org_membership.role, "org:admin"
	Permissions              []string
	MembershipMetadata       json.RawMessage
}

// Data is what a token is rendered from.
type Data struct {
	User    *user.User
	Session *session.Session
	Org     *Org
}

// values resolves shortcode paths against Data.
type values struct {
	d    Data
	meta map[string]any // decoded metadata objects by path prefix
}

func newValues(d Data) *values { return &values{d: d, meta: map[string]any{}} }

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (v *values) lookup(path []string) any {
	u, o := v.d.User, v.d.Org
	key := path[0] + "." + path[1]
	switch key {
	case "user.public_metadata":
		return v.walk(key, u.PublicMetadata, path[2:])
	case "user.unsafe_metadata":
		return v.walk(key, u.UnsafeMetadata, path[2:])
	case "session.id":
		if v.d.Session == nil {
			return nil
		}
		return v.d.Session.ID
	case "session.actor": // the actor object of an impersonation session, else null
		if v.d.Session == nil || !v.d.Session.Impersonated() {
			return nil
		}
		return v.walk(key, v.d.Session.Actor, nil)
	}
	if path[0] == "user" {
		return userValue(u, path[1])
	}
	if o == nil {
		return nil
	}
	switch key {
	case "org.id":
		return o.ID
	case "org.slug":
		return orNil(o.Slug)
	case "org.name":
		return orNil(o.Name)
	case "org.image_url":
		return orNil(o.ImageURL)
	case "org.public_metadata":
		return v.walk(key, o.PublicMetadata, path[2:])
	case "org_membership.role":
		return orNil(o.Role)
	case "org_membership.permissions":
		out := make([]any, 0, len(o.Permissions))
		for _, p := range o.Permissions {
			out = append(out, p)
		}
		return out
	case "org_membership.public_metadata":
		return v.walk(key, o.MembershipMetadata, path[2:])
	}
	return nil
}

func userValue(u *user.User, name string) any {
	obj := u.ToObject(u.UpdatedAt, user.Abilities{}) // the fields read below depend on no instance setting
	switch name {
	case "id":
		return u.ID
	case "external_id":
		return orNil(u.ExternalID)
	case "first_name":
		return orNil(u.FirstName)
	case "last_name":
		return orNil(u.LastName)
	case "full_name":
		return orNil(u.FullName())
	case "username":
		return orNil(u.Username())
	case "primary_email_address":
		return orNil(u.PrimaryEmail())
	case "primary_phone_address":
		return orNil(u.PrimaryPhone())
	case "image_url":
		return orNil(obj.ImageURL)
	case "has_image":
		return obj.HasImage
	case "email_verified":
		for _, i := range u.Identifiers {
			if i.ID == u.PrimaryEmailID {
				return i.Verified()
			}
		}
		return false
	case "phone_number_verified":
		return u.PrimaryPhone() != ""
	case "two_factor_enabled":
		return obj.TwoFactorEnabled
	case "created_at": // unix seconds, as the JWT's own times
		return u.CreatedAt.Unix()
	case "updated_at":
		return u.UpdatedAt.Unix()
	}
	return nil
}

// walk follows a dot path into a metadata object; a missing step is null.
// Numeric steps index arrays.
func (v *values) walk(key string, raw json.RawMessage, path []string) any {
	cur, ok := v.meta[key]
	if !ok {
		cur = map[string]any{}
		if len(raw) > 0 {
			d := json.NewDecoder(bytes.NewReader(raw))
			d.UseNumber()
			var m map[string]any
			if d.Decode(&m) == nil && m != nil {
				cur = m
			}
		}
		v.meta[key] = cur
	}
	for _, step := range path {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[step]
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

// Render returns the template's claims for d, without the reserved ones.
func (c *Compiled) Render(d Data) map[string]any {
	return c.root.render(newValues(d)).(map[string]any)
}
