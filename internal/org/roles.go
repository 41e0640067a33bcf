package org

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// The roles every instance has. The creator of an organization gets
// RoleAdmin; an invitation without a role gives RoleMember.
const (
	RoleAdmin  = "org:admin"
	RoleMember = "org:member"
)

// System permissions, as Clerk names them. The portal's own pages and routes
// check only these; custom permissions are for the relying apps, which read
// them from the session token.
const (
	PermProfileManage     = "org:sys_profile:manage"     // rename, change slug and logo
	PermProfileDelete     = "org:sys_profile:delete"     // delete the organization
	PermMembershipsRead   = "org:sys_memberships:read"   // see the members
	PermMembershipsManage = "org:sys_memberships:manage" // invite, change roles, remove
	PermDomainsRead       = "org:sys_domains:read"       // see the verified domains
	PermDomainsManage     = "org:sys_domains:manage"     // add, verify, set the enrollment mode, remove
)

// SystemPermissions lists the system permissions in display order.
func SystemPermissions() []string {
	return []string{PermProfileManage, PermProfileDelete, PermMembershipsRead, PermMembershipsManage,
		PermDomainsRead, PermDomainsManage}
}

// Limits of the role configuration, so a typo cannot make every token huge.
const (
	maxRoles            = 50
	maxPermsPerRole     = 100
	maxKeyPartLen       = 64
	rolesSyntaxReminder = `write roles as "org:role=org:feature:permission org:feature:permission; org:other=…" or as JSON {"org:role":["org:feature:permission"]}`
)

// Roles is the instance's role configuration: each role key with the
// permissions it grants. The zero value is not usable; use DefaultRoles or
// ParseRoles.
type Roles struct {
	perms map[string][]string // role → sorted permissions
	order []string            // display order: admin, member, then custom roles as configured
}

// DefaultRoles has org:admin (every system permission) and org:member
// (reading the member list).
func DefaultRoles() *Roles {
	r, err := ParseRoles("")
	if err != nil {
		panic(err)
	}
	return r
}

// ParseRoles reads the PORTAL_ORG_ROLES setting: the roles an instance adds
// to org:admin and org:member, or redefines org:member with. Two syntaxes:
//
//	org:billing=org:invoices:read org:invoices:manage; org:viewer=org:sys_memberships:read
//	{"org:billing": ["org:invoices:read", "org:invoices:manage"], "org:viewer": ["org:sys_memberships:read"]}
//
// In the compact form roles are separated by ";" "," or new lines, and a
// role's permissions by spaces. Role keys are org:<name>, permissions
// org:<feature>:<permission>, each part lower-case letters, digits and "_".
// Features starting with sys_ are reserved for the system permissions.
// org:admin always holds every system permission; listing it adds custom
// ones. Listing org:member replaces its default permissions.
func ParseRoles(s string) (*Roles, error) {
	custom, order, err := parseRoleSpec(strings.TrimSpace(s))
	if err != nil {
		return nil, err
	}
	r := &Roles{perms: map[string][]string{}}
	r.perms[RoleAdmin] = union(SystemPermissions(), custom[RoleAdmin])
	r.perms[RoleMember] = []string{PermMembershipsRead}
	if p, ok := custom[RoleMember]; ok {
		r.perms[RoleMember] = union(nil, p)
	}
	r.order = []string{RoleAdmin, RoleMember}
	for _, role := range order {
		if role == RoleAdmin || role == RoleMember {
			continue
		}
		r.perms[role] = union(nil, custom[role])
		r.order = append(r.order, role)
	}
	return r, nil
}

func parseRoleSpec(s string) (map[string][]string, []string, error) {
	out := map[string][]string{}
	var order []string
	add := func(role string, perms []string) error {
		if err := checkRoleKey(role); err != nil {
			return err
		}
		if _, dup := out[role]; dup {
			return fmt.Errorf("role %s is defined twice", role)
		}
		if len(perms) > maxPermsPerRole {
			return fmt.Errorf("role %s has %d permissions; at most %d are allowed", role, len(perms), maxPermsPerRole)
		}
		for _, p := range perms {
			if err := checkPermissionKey(p); err != nil {
				return fmt.Errorf("role %s: %w", role, err)
			}
		}
		out[role] = perms
		order = append(order, role)
		if len(order) > maxRoles {
			return fmt.Errorf("more than %d roles", maxRoles)
		}
		return nil
	}
	if s == "" {
		return out, nil, nil
	}
	if strings.HasPrefix(s, "{") {
		var m map[string][]string
		dec := json.NewDecoder(strings.NewReader(s))
		if err := dec.Decode(&m); err != nil {
			return nil, nil, fmt.Errorf("not valid JSON (%v); %s", err, rolesSyntaxReminder)
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys) // JSON objects have no order; a stable one keeps pages stable
		for _, k := range keys {
			if err := add(k, m[k]); err != nil {
				return nil, nil, err
			}
		}
		return out, order, nil
	}
	for _, entry := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' || r == '\n' }) {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		role, perms, ok := strings.Cut(entry, "=")
		if !ok {
			return nil, nil, fmt.Errorf("%q has no \"=\"; %s", entry, rolesSyntaxReminder)
		}
		if err := add(strings.TrimSpace(role), strings.Fields(perms)); err != nil {
			return nil, nil, err
		}
	}
	return out, order, nil
}

func checkRoleKey(k string) error {
	parts := strings.Split(k, ":")
	if len(parts) != 2 || parts[0] != "org" || !validPart(parts[1]) {
		return fmt.Errorf("role %q must look like org:name (lower-case letters, digits and _)", k)
	}
	return nil
}

func checkPermissionKey(k string) error {
	parts := strings.Split(k, ":")
	if len(parts) != 3 || parts[0] != "org" || !validPart(parts[1]) || !validPart(parts[2]) {
		return fmt.Errorf("permission %q must look like org:feature:permission (lower-case letters, digits and _)", k)
	}
	if strings.HasPrefix(parts[1], "sys_") && !slices.Contains(SystemPermissions(), k) {
		return fmt.Errorf("permission %q: features starting with sys_ are reserved; the system permissions are %s",
			k, strings.Join(SystemPermissions(), ", "))
	}
	return nil
}

func validPart(s string) bool {
	if s == "" || len(s) > maxKeyPartLen {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func union(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

// Exists reports whether role is configured.
func (r *Roles) Exists(role string) bool {
	_, ok := r.perms[role]
	return ok
}

// Has reports whether role grants perm. An unknown role grants nothing:
// a role removed from the configuration leaves its members without rights
// rather than with someone else's (REQ-AC-01).
func (r *Roles) Has(role, perm string) bool {
	return slices.Contains(r.perms[role], perm)
}

// Permissions returns role's permissions, sorted; nil for an unknown role.
func (r *Roles) Permissions(role string) []string {
	return slices.Clone(r.perms[role])
}

// Keys lists the role keys in display order.
func (r *Roles) Keys() []string { return slices.Clone(r.order) }

// Managers lists the roles an organization must always keep a member
// holding: org:admin alone (REQ-AC-06). A custom role that manages
// members gives and takes only the roles it covers (Access.CanGrant), so
// an organization left to such roles could never have an admin again, nor
// anyone to rename, verify domains or delete it.
func (r *Roles) Managers() []string { return []string{RoleAdmin} }

// Name is a role's display name: org:billing_manager → "Billing manager".
func Name(role string) string {
	_, n, ok := strings.Cut(role, ":")
	if !ok || n == "" {
		return role
	}
	n = strings.ReplaceAll(n, "_", " ")
	return strings.ToUpper(n[:1]) + n[1:]
}
