package jwttemplate

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/session"
	"github.com/portalhq/portal/internal/user"
)

// Problems are reported with the line and column where they are.
func TestCompileReportsWhere(t *testing.T) {
	for name, c := range map[string]struct {
		claims       string
		line, column int
		reason       string
	}{
		"unknown shortcode": {"{\n  \"name\": \"{{user.nickname}}\"\n}", 2, 12, "unknown shortcode"},
		"unknown shortcode later in the string": {`{"a": "Hi {{user.first_name}} {{user.shoe_size}}"}`, 1, 31,
			"unknown shortcode"},
		"unclosed shortcode":         {`{"a": "{{user.id"}`, 1, 8, "not closed"},
		"empty operand":              {`{"a": "{{user.id || }}"}`, 1, 8, "empty"},
		"reserved claim":             {"{\n  \"aud\": \"x\",\n  \"sub\": \"{{user.id}}\"\n}", 3, 3, `"sub"`},
		"reserved exp":               {`{"exp": 1}`, 1, 2, `"exp"`},
		"bad JSON":                   {"{\n  \"a\": 1,\n  \"b\": tru\n}", 3, 11, "invalid JSON"},
		"unterminated":               {`{"a": "x"`, 1, 10, "end of the claims"},
		"not an object":              {`["a"]`, 1, 1, "must be a JSON object"},
		"trailing data":              {`{"a": 1} {"b": 2}`, 1, 10, "after the claims"},
		"duplicate claim":            {`{"a": 1, "a": 2}`, 1, 10, "twice"},
		"escaped string points here": {`{"a": "\u0041 {{user.nope}}"}`, 1, 7, "unknown shortcode"},
		"nested unknown":             {`{"x": {"y": ["{{org.owner}}"]}}`, 1, 15, "unknown shortcode"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Compile([]byte(c.claims))
			var ce *ClaimsError
			if !errors.As(err, &ce) {
				t.Fatalf("Compile = %v, want a *ClaimsError", err)
			}
			if ce.Line != c.line || ce.Column != c.column || !strings.Contains(ce.Reason, c.reason) {
				t.Errorf("error at %d:%d %q, want %d:%d containing %q", ce.Line, ce.Column, ce.Reason, c.line, c.column, c.reason)
			}
			if e, ok := apperr.As(err); !ok || e.Field != "claims" || e.Code != apperr.Invalid {
				t.Errorf("not a safe error for the claims field: %v", err)
			}
		})
	}
}

func testUser() *user.User {
	created := time.Unix(1700000000, 0)
	verified := created
	u := &user.User{ID: "user_1", FirstName: "Ada", LastName: "Lovelace", PrimaryEmailID: "idn_e",
		CreatedAt: created, UpdatedAt: created.Add(time.Hour),
		PublicMetadata: json.RawMessage(`{"plan":"pro","limits":{"seats":5},"roles":["admin","dev"],"zero":0}`),
		UnsafeMetadata: json.RawMessage(`{"theme":"dark"}`)}
	u.Identifiers = []user.Identifier{
		{ID: "idn_e", Kind: user.Email, Value: "ada@example.com", VerifiedAt: &verified},
		{ID: "idn_u", Kind: user.Username, Value: "ada"},
	}
	return u
}

func render(t *testing.T, claims string, d Data) map[string]any {
	t.Helper()
	c, err := Compile([]byte(claims))
	if err != nil {
		t.Fatalf("Compile(%s): %v", claims, err)
	}
	out, _ := json.Marshal(c.Render(d))
	var m map[string]any
	_ = json.Unmarshal(out, &m)
	return m
}

// Values keep their types (metadata stays an object, booleans stay
// booleans); || falls back; shortcodes inside longer strings interpolate.
func TestRenderValues(t *testing.T) {
	d := Data{User: testUser(), Session: &session.Session{ID: "sess_1"}}
	got := render(t, `{
		"id": "{{user.id}}", "name": "{{user.full_name}}", "email": "{{user.primary_email_address}}",
		"verified": "{{user.email_verified}}", "phone": "{{user.primary_phone_address}}",
		"meta": "{{user.public_metadata}}", "seats": "{{user.public_metadata.limits.seats}}",
		"role": "{{user.public_metadata.roles.0}}", "missing": "{{user.public_metadata.nope.deeper}}",
		"nick": "{{user.public_metadata.nickname || user.username || 'anon'}}",
		"fallback": "{{user.primary_phone_address || 'no phone'}}",
		"zero falls back": "{{user.public_metadata.zero || 7}}",
		"greeting": "Hello {{user.first_name}} ({{user.public_metadata.limits}}) {{user.image_url}}!",
		"created": "{{user.created_at}}", "sid": "{{session.id}}", "org": "{{org.id}}",
		"role_or_member": "{{org_membership.role || 'org:member'}}",
		"static": {"list": [1, "two", {"three": "{{user.last_name}}"}], "yes": true, "none": null}
	}`, d)
	want := map[string]any{
		"id": "user_1", "name": "Ada Lovelace", "email": "ada@example.com", "verified": true, "phone": nil,
		"meta":  map[string]any{"plan": "pro", "limits": map[string]any{"seats": 5.0}, "roles": []any{"admin", "dev"}, "zero": 0.0},
		"seats": 5.0, "role": "admin", "missing": nil, "nick": "ada", "fallback": "no phone", "zero falls back": 7.0,
		"greeting": `Hello Ada ({"seats":5}) !`, "created": 1700000000.0, "sid": "sess_1", "org": nil,
		"role_or_member": "org:member",
		"static":         map[string]any{"list": []any{1.0, "two", map[string]any{"three": "Lovelace"}}, "yes": true, "none": nil},
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("rendered\n%s\nwant\n%s", g, w)
	}
}

// {{session.actor}} is the actor object of an impersonation session, as
// Clerk's templates expose it, and null in any other session.
func TestRenderSessionActor(t *testing.T) {
	claims := `{"actor": "{{session.actor}}", "who": "{{session.actor || 'self'}}"}`
	imp := Data{User: testUser(), Session: &session.Session{ID: "sess_1", Actor: json.RawMessage(`{"sub":"user_support","n":1}`)}}
	if g, _ := json.Marshal(render(t, claims, imp)); string(g) != `{"actor":{"n":1,"sub":"user_support"},"who":{"n":1,"sub":"user_support"}}` {
		t.Errorf("impersonation session: rendered %s", g)
	}
	own := Data{User: testUser(), Session: &session.Session{ID: "sess_2"}}
	if g, _ := json.Marshal(render(t, claims, own)); string(g) != `{"actor":null,"who":"self"}` {
		t.Errorf("the user's own session: rendered %s", g)
	}
}

// The organization claims come from the active organization when there is one.
func TestRenderOrg(t *testing.T) {
	d := Data{User: testUser(), Org: &Org{ID: "org_1", Slug: "acme", Name: "Acme", Role: "org:admin",
		Permissions: []string{"org:sys_memberships:manage"}, PublicMetadata: json.RawMessage(`{"tier":"gold"}`)}}
	got := render(t, `{"org": "{{org.id}}", "slug": "{{org.slug}}", "name": "{{org.name}}",
		"role": "{{org_membership.role}}", "perms": "{{org_membership.permissions}}", "tier": "{{org.public_metadata.tier}}"}`, d)
	want := `{"name":"Acme","org":"org_1","perms":["org:sys_memberships:manage"],"role":"org:admin","slug":"acme","tier":"gold"}`
	if g, _ := json.Marshal(got); string(g) != want {
		t.Errorf("rendered %s, want %s", g, want)
	}
}

// REQ-IN-05: this parser is written by hand, so its work is bounded by
// its input rather than by luck: claims over 16 KB and nesting deeper
// than 32 are refused up front, and the most awkward input within those
// bounds (maximal nesting, thousands of shortcodes, unclosed braces)
// compiles or is refused after one pass. A parser that backtracked or
// recursed without limit would blow the stack or never return here.
func TestCompileWorkIsBounded_REQ_IN_05(t *testing.T) {
	refused := map[string]string{
		"over 16 KB":        `{"a": "` + strings.Repeat("x", 16<<10) + `"}`,
		"33 levels deep":    strings.Repeat(`{"a": `, 33) + "1" + strings.Repeat("}", 33),
		"a million opens":   strings.Repeat("[", 1<<20),
		"unclosed braces":   `{"a": "` + strings.Repeat("{{", 8000) + `"}`,
		"endless operators": `{"a": "{{` + strings.Repeat("user.id || ", 1400) + `"}`,
	}
	for name, claims := range refused {
		if _, err := Compile([]byte(claims)); err == nil {
			t.Errorf("%s: compiled", name)
		}
	}
	deepest := strings.Repeat(`{"a": `, 32) + `"{{user.id}}"` + strings.Repeat("}", 32)
	many := `{"a": "` + strings.Repeat("{{user.id}}", 1400) + `"}`
	for name, claims := range map[string]string{"32 levels deep": deepest, "1,400 shortcodes": many} {
		if _, err := Compile([]byte(claims)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
