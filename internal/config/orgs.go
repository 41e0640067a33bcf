package config

import (
	"net/url"
	"strings"
	"time"

	"github.com/portalhq/portal/internal/org"
)

// orgRoles parses PORTAL_ORG_ROLES when it is read, so a mistake stops
// start-up with the key named and the syntax explained.
func orgRoles(p func(*Config) **org.Roles) binder {
	return binder{set: func(c *Config, v string) error {
		r, err := org.ParseRoles(v)
		if err != nil {
			return err
		}
		*p(c) = r
		return nil
	}}
}

func (c *Config) validateOrgs(p *problems) {
	if c.OrgCreationLimit < 0 {
		p.add("PORTAL_ORG_CREATION_LIMIT: %d must be 0 (no limit) or more", c.OrgCreationLimit)
	}
	if c.OrgMaxMembers < 0 {
		p.add("PORTAL_ORG_MAX_MEMBERS: %d must be 0 (no limit) or more", c.OrgMaxMembers)
	}
	if c.OrgInvitationTTL < 10*time.Minute || c.OrgInvitationTTL > 365*24*time.Hour {
		p.add("PORTAL_ORG_INVITATION_TTL: %v must be between 10m and 365d", c.OrgInvitationTTL)
	}
	if v := c.OrgAfterCreateURL; v != "" {
		u, err := url.Parse(v)
		if err != nil || !strings.HasPrefix(v, "/") && (u.Scheme != "http" && u.Scheme != "https" || u.Host == "") {
			p.add("PORTAL_ORG_AFTER_CREATE_URL: %q must be a path on the portal (/organization) or an app URL in PORTAL_ALLOWED_REDIRECT_ORIGINS", v)
		}
	}
}
