package config

import (
	"slices"
	"testing"
	"time"
)

func TestOrgSettings(t *testing.T) {
	c, err := load([]string{"--org-max-members=5"}, map[string]string{
		"PORTAL_ORG_ROLES":          "org:billing=org:invoices:read org:invoices:manage; org:viewer=org:sys_memberships:read",
		"PORTAL_ORG_CREATION":       "false",
		"PORTAL_ORG_INVITATION_TTL": "2d",
		"PORTAL_PERSONAL_ACCOUNTS":  "false",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.OrgCreation || c.OrgMaxMembers != 5 || c.OrgInvitationTTL != 48*time.Hour || c.PersonalAccounts {
		t.Errorf("config = %+v", c)
	}
	if got := c.OrgRoles.Keys(); !slices.Equal(got, []string{"org:admin", "org:member", "org:billing", "org:viewer"}) {
		t.Errorf("roles = %v", got)
	}
}

// In YAML the roles may be written as a mapping of role to permissions.
func TestOrgRolesAsYAMLMapping(t *testing.T) {
	path := writeFile(t, "org_roles:\n  org:billing: [org:invoices:read]\n  org:member:\n    - org:reports:read\n")
	c, err := load(nil, map[string]string{"PORTAL_CONFIG": path})
	if err != nil {
		t.Fatal(err)
	}
	if !c.OrgRoles.Has("org:billing", "org:invoices:read") || !c.OrgRoles.Has("org:member", "org:reports:read") {
		t.Errorf("roles = %v / %v", c.OrgRoles.Permissions("org:billing"), c.OrgRoles.Permissions("org:member"))
	}
}

func TestBadOrgSettingsNameTheirKey(t *testing.T) {
	for key, vars := range map[string]map[string]string{
		"PORTAL_ORG_ROLES":            {"PORTAL_ORG_ROLES": "billing=org:invoices:read"},
		"PORTAL_ORG_CREATION_LIMIT":   {"PORTAL_ORG_CREATION_LIMIT": "-1"},
		"PORTAL_ORG_MAX_MEMBERS":      {"PORTAL_ORG_MAX_MEMBERS": "-3"},
		"PORTAL_ORG_INVITATION_TTL":   {"PORTAL_ORG_INVITATION_TTL": "1s"},
		"PORTAL_ORG_AFTER_CREATE_URL": {"PORTAL_ORG_AFTER_CREATE_URL": "javascript:alert(1)"},
	} {
		t.Run(key, func(t *testing.T) { mustFail(t, nil, vars, key+":") })
	}
	mustFail(t, nil, map[string]string{"PORTAL_ORG_ROLES": "org:x=org:sys_billing:read"}, "PORTAL_ORG_ROLES:", "reserved")
}
