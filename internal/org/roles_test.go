package org_test

import (
	"bytes"
	"image"
	"image/png"
	"slices"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/org"
)

func TestDefaultRoles(t *testing.T) {
	r := org.DefaultRoles()
	if got := r.Keys(); !slices.Equal(got, []string{org.RoleAdmin, org.RoleMember}) {
		t.Errorf("Keys = %v", got)
	}
	for _, p := range org.SystemPermissions() {
		if !r.Has(org.RoleAdmin, p) {
			t.Errorf("admin lacks %s", p)
		}
	}
	if got := r.Permissions(org.RoleMember); !slices.Equal(got, []string{org.PermMembershipsRead}) {
		t.Errorf("member permissions = %v", got)
	}
	if r.Has("org:ghost", org.PermMembershipsRead) || r.Exists("org:ghost") || r.Permissions("org:ghost") != nil {
		t.Error("an unknown role grants something (REQ-AC-01: deny by default)")
	}
	if got := r.Managers(); !slices.Equal(got, []string{org.RoleAdmin}) {
		t.Errorf("Managers = %v", got)
	}
}

func TestParseRolesBothSyntaxes(t *testing.T) {
	compact := "org:billing=org:invoices:read org:invoices:manage; org:viewer=org:sys_memberships:read,\n" +
		"org:admin=org:invoices:manage; org:member=org:invoices:read"
	json := `{"org:viewer":["org:sys_memberships:read"],"org:billing":["org:invoices:read","org:invoices:manage"],` +
		`"org:admin":["org:invoices:manage"],"org:member":["org:invoices:read"]}`
	for name, spec := range map[string]string{"compact": compact, "json": json} {
		t.Run(name, func(t *testing.T) {
			r, err := org.ParseRoles(spec)
			if err != nil {
				t.Fatal(err)
			}
			keys := r.Keys()
			if len(keys) != 4 || keys[0] != org.RoleAdmin || keys[1] != org.RoleMember ||
				!slices.Contains(keys, "org:billing") || !slices.Contains(keys, "org:viewer") {
				t.Errorf("Keys = %v", keys)
			}
			if got := r.Permissions("org:billing"); !slices.Equal(got, []string{"org:invoices:manage", "org:invoices:read"}) {
				t.Errorf("billing = %v", got)
			}
			// Admin keeps every system permission and gains the custom one.
			if !r.Has(org.RoleAdmin, org.PermProfileDelete) || !r.Has(org.RoleAdmin, "org:invoices:manage") {
				t.Errorf("admin = %v", r.Permissions(org.RoleAdmin))
			}
			// Listing org:member replaces its default.
			if got := r.Permissions(org.RoleMember); !slices.Equal(got, []string{"org:invoices:read"}) {
				t.Errorf("member = %v", got)
			}
			if r.Has("org:billing", org.PermMembershipsManage) {
				t.Error("billing was given a permission it was not configured with")
			}
		})
	}
	if name, _ := org.ParseRoles("org:a=org:x:y"); name == nil {
		t.Fatal("a single role")
	}
}

func TestParseRolesRefusesMistakes(t *testing.T) {
	for spec, want := range map[string]string{
		"org:billing":                                    `has no "="`,
		"billing=org:invoices:read":                      "must look like org:name",
		"org:Billing=org:invoices:read":                  "must look like org:name",
		"org:billing=invoices:read":                      "must look like org:feature:permission",
		"org:billing=org:invoices":                       "must look like org:feature:permission",
		"org:billing=org:sys_billing:manage":             "reserved",
		"org:a=org:x:y; org:a=org:x:z":                   "defined twice",
		`{"org:a": "org:x:y"}`:                           "not valid JSON",
		`{"org:a": ["org:x:y"]`:                          "not valid JSON",
		"org:a=org:x:y org:x:" + strings.Repeat("z", 65): "must look like",
	} {
		if _, err := org.ParseRoles(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseRoles(%q) = %v, want an error saying %q", spec, err, want)
		}
	}
	var many []string
	for i := range 51 {
		many = append(many, "org:r"+strings.Repeat("x", i)+"=org:x:y")
	}
	if _, err := org.ParseRoles(strings.Join(many, ";")); err == nil {
		t.Error("51 roles accepted")
	}
}

func TestRoleNames(t *testing.T) {
	for role, want := range map[string]string{
		org.RoleAdmin: "Admin", org.RoleMember: "Member", "org:billing_manager": "Billing manager", "odd": "odd",
	} {
		if got := org.Name(role); got != want {
			t.Errorf("Name(%q) = %q, want %q", role, got, want)
		}
	}
}

func TestSlugify(t *testing.T) {
	for name, want := range map[string]string{
		"Acme Rockets":                 "acme-rockets",
		"  Café Ñu & Co.  ":            "cafe-nu-co",
		"ÅNGSTRÖM--labs":               "angstrom-labs",
		"x" + strings.Repeat("y", 100): "x" + strings.Repeat("y", 55),
	} {
		got := org.Slugify(name)
		if got != want {
			t.Errorf("Slugify(%q) = %q, want %q", name, got, want)
		}
		if err := org.CheckSlug(got); err != nil {
			t.Errorf("Slugify(%q) = %q does not pass CheckSlug: %v", name, got, err)
		}
	}
	for _, name := range []string{"東京", "🚀🚀", ""} {
		if got := org.Slugify(name); !strings.HasPrefix(got, "org-") || org.CheckSlug(got) != nil {
			t.Errorf("Slugify(%q) = %q, want a valid org-… slug", name, got)
		}
	}
}

// REQ-IN-07: slugs and names are validated with length limits.
func TestCheckSlugAndName_REQ_IN_07(t *testing.T) {
	for _, s := range []string{"acme", "a", "a-b-c", "x1", strings.Repeat("a", 64)} {
		if err := org.CheckSlug(s); err != nil {
			t.Errorf("CheckSlug(%q) = %v", s, err)
		}
	}
	for _, s := range []string{"", "-a", "a-", "A", "a_b", "org_123", "a b", "é", strings.Repeat("a", 65), "a/b"} {
		if err := org.CheckSlug(s); err == nil {
			t.Errorf("CheckSlug(%q) accepted", s)
		}
	}
	if n, err := org.CleanName("  Acme  "); err != nil || n != "Acme" {
		t.Errorf("CleanName = %q, %v", n, err)
	}
	for _, s := range []string{"", "   ", "a\nb", "a\x00b", "\xff", strings.Repeat("é", 101)} {
		if _, err := org.CleanName(s); err == nil {
			t.Errorf("CleanName(%q) accepted", s)
		}
	}
	if _, err := org.CleanName(strings.Repeat("é", 100)); err != nil {
		t.Errorf("100 characters refused: %v", err)
	}
}

func TestCheckLogo(t *testing.T) {
	png := onePixelPNG(t)
	if l, err := org.CheckLogo(png); err != nil || l.ContentType != "image/png" {
		t.Errorf("PNG: %+v, %v", l, err)
	}
	for name, data := range map[string][]byte{
		"svg":   []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
		"html":  []byte("<html><script>alert(1)</script>"),
		"empty": nil,
		"huge":  append(png, make([]byte, org.MaxLogoBytes)...),
		// A format's first bytes and nothing usable after them: a file cut
		// short, or a broken one, that no browser could show.
		"PNG signature alone": append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 32)...),
		"GIF with no size":    []byte("GIF89a\x00\x00\x00\x00\x00\x00\x00"),
		"JPEG marker alone":   append([]byte{0xff, 0xd8, 0xff}, []byte("garbage")...),
	} {
		if _, err := org.CheckLogo(data); err == nil {
			t.Errorf("%s accepted as a logo", name)
		}
	}
}

func TestParseEmails(t *testing.T) {
	got := org.ParseEmails("a@x.com, b@x.com;c@x.com\nd@x.com  e@x.com")
	if !slices.Equal(got, []string{"a@x.com", "b@x.com", "c@x.com", "d@x.com", "e@x.com"}) {
		t.Errorf("ParseEmails = %v", got)
	}
}

// onePixelPNG is the smallest real PNG, a logo CheckLogo takes.
func onePixelPNG(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
