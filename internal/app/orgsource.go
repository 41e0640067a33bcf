package app

import (
	"context"

	"github.com/portalhq/portal/internal/jwttemplate"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/session"
)

// templateOrgs gives JWT templates the session's active organization
// ({{org.…}}, {{org_membership.…}}), read at minting time so a role change
// or removal shows in the next token.
type templateOrgs struct{ orgs *org.Service }

func (t templateOrgs) ActiveOrg(ctx context.Context, sess *session.Session) (*jwttemplate.Org, error) {
	if sess.ActiveOrgID == "" {
		return nil, nil
	}
	o, m, err := t.orgs.ActiveMembership(ctx, sess.UserID, sess.ActiveOrgID)
	if o == nil || err != nil {
		return nil, err
	}
	obj := t.orgs.Admin().Object(o)
	return &jwttemplate.Org{ID: o.ID, Slug: o.Slug, Name: o.Name, ImageURL: obj.ImageURL,
		PublicMetadata: o.PublicMetadata, Role: m.Role, Permissions: t.orgs.Roles.Permissions(m.Role)}, nil
}
