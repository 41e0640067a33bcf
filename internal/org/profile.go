package org

import (
	"bytes"
	"context"
	"errors"
	"image"
	_ "image/gif" // decoders for image.DecodeConfig
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"strings"
	"time"

	_ "golang.org/x/image/webp"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/avatar"
	"github.com/portalhq/portal/internal/events"
)

// MaxLogoBytes bounds an uploaded logo: a photo straight from a phone
// fits, and is scaled down (encodeLogo).
const MaxLogoBytes = avatar.MaxUpload

// ReverifyWindow is how recent a factor must be to delete an organization
// without entering the password again.
const ReverifyWindow = 10 * time.Minute

// CheckLogo accepts PNG, JPEG, GIF and WebP images, judged by their bytes
// and not by what the browser claimed; SVG is refused because it can carry
// script. It reads headers only: Create and Update decode the picture and
// keep the PNG they encode of it (encodeLogo).
func CheckLogo(data []byte) (*Logo, error) {
	if len(data) == 0 {
		return nil, apperr.Field(apperr.Invalid, "logo", "The file is empty.").T("org.error.logo_empty")
	}
	if len(data) > MaxLogoBytes {
		return nil, ErrLogoTooLarge
	}
	switch ct := http.DetectContentType(data); ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		// The first bytes name the format; a file cut short or broken
		// past them would be saved as a logo no browser can show, so the
		// image's header must decode as that format too.
		cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
		if err == nil && "image/"+format == ct && cfg.Width > 0 && cfg.Height > 0 {
			return &Logo{ContentType: ct, Data: data}, nil
		}
	}
	return nil, errLogoType
}

var (
	errLogoType = apperr.Field(apperr.Invalid, "logo", "Use a PNG, JPEG, GIF or WebP image.").T("org.error.logo_type")
	// ErrLogoTooLarge refuses a logo over MaxLogoBytes.
	ErrLogoTooLarge = apperr.Field(apperr.Invalid, "logo", "This image is larger than 5 MB. Choose a smaller one.").T("org.error.logo_too_large")
)

// encodeLogo turns a checked logo into the one the portal keeps: the whole
// picture within 256×256, a PNG encoded here, so that nothing of the
// upload but its pixels is ever served. nil stays nil.
func (s *Service) encodeLogo(ctx context.Context, l *Logo) (*Logo, error) {
	if l == nil {
		return nil, nil
	}
	data, err := s.Images.FitPNG(ctx, l.Data)
	switch {
	case errors.Is(err, avatar.ErrNotImage):
		return nil, errLogoType
	case errors.Is(err, avatar.ErrAnimated):
		return nil, avatar.ErrAnimated.On("logo")
	case errors.Is(err, avatar.ErrTooBig):
		return nil, avatar.ErrTooBig.On("logo")
	case err != nil:
		return nil, err
	}
	return &Logo{ContentType: "image/png", Data: data}, nil
}

// putLogo stores logo (encoded by encodeLogo) as o's, with a new version
// for browsers to fetch, or removes o's logo when remove is set and logo is
// nil; neither leaves o as it is.
func putLogo(ctx context.Context, r Repo, o *Organization, logo *Logo, remove bool, now time.Time) error {
	switch {
	case logo != nil:
		o.LogoVersion = max(now.UnixMilli(), o.LogoVersion+1)
	case remove && o.LogoVersion != 0:
		o.LogoVersion = 0
	default:
		return nil
	}
	return r.SetOrganizationLogo(ctx, o.ID, logo)
}

// UpdateInput is the general settings form.
type UpdateInput struct {
	Name       string
	Slug       string
	Logo       *Logo // a new logo, checked with CheckLogo
	RemoveLogo bool
}

// Update changes the name, slug and logo; it needs org:sys_profile:manage.
func (s *Service) Update(ctx context.Context, actor Actor, orgID string, in UpdateInput) (*Organization, error) {
	name, err := CleanName(in.Name)
	if err != nil {
		return nil, err
	}
	slug := strings.ToLower(strings.TrimSpace(in.Slug))
	if err := CheckSlug(slug); err != nil {
		return nil, err
	}
	if in.Logo != nil {
		// Decoding is work: only for someone who may change the logo.
		if _, err := s.Require(ctx, actor, orgID, PermProfileManage); err != nil {
			return nil, err
		}
		if in.Logo, err = s.encodeLogo(ctx, in.Logo); err != nil {
			return nil, err
		}
	}
	var out *Organization
	err = s.within(ctx, actor, orgID, PermProfileManage, func(r Repo, a *Access) error {
		o := *a.Org
		now := s.Clock.Now()
		o.Name, o.Slug = name, slug
		if err := putLogo(ctx, r, &o, in.Logo, in.RemoveLogo, now); err != nil {
			return err
		}
		out = &o
		if o.Name == a.Org.Name && o.Slug == a.Org.Slug && o.LogoVersion == a.Org.LogoVersion {
			return nil
		}
		o.UpdatedAt = now
		if err := r.UpdateOrganization(ctx, &o); err != nil {
			if errors.Is(err, apperr.ErrConflict) {
				return ErrSlugTaken
			}
			return notFound(err)
		}
		return emit(ctx, r, events.OrganizationUpdated, o.ID, s.object(&o), now)
	})
	return out, err
}

// Delete removes the organization with its memberships and invitations. It
// needs org:sys_profile:delete, the organization's name typed as a
// confirmation, and a recent factor: a sign-in within ReverifyWindow, or
// the password entered again.
func (s *Service) Delete(ctx context.Context, actor Actor, orgID, confirmName, password string) error {
	return s.DeleteChecked(ctx, actor, orgID, confirmName, password, nil)
}

// DeleteChecked is Delete that reports the password check: checked, when
// not nil, is called once with the outcome if a password was checked (nil
// when it matched), so the caller can log the attempt (REQ-LOG-01).
func (s *Service) DeleteChecked(ctx context.Context, actor Actor, orgID, confirmName, password string, checked func(error)) error {
	a, err := s.Require(ctx, actor, orgID, PermProfileDelete)
	if err != nil {
		return err
	}
	if err := confirmed(a.Org, confirmName); err != nil {
		return err
	}
	if err := s.reverify(ctx, actor, password, checked); err != nil {
		return err
	}
	return s.within(ctx, actor, orgID, PermProfileDelete, func(r Repo, a *Access) error {
		return s.destroy(ctx, r, a.Org)
	})
}

// confirmed checks the organization's name typed to confirm a step that
// cannot be taken back (deleting it, leaving it).
func confirmed(o *Organization, typed string) error {
	if strings.TrimSpace(typed) != o.Name {
		return apperr.Field(apperr.Invalid, "confirm_name", "Type the organization's name exactly as shown to confirm.").T("org.error.confirm_name")
	}
	return nil
}

// destroy deletes o, held by the caller's transaction r. Its verified
// domains go with it, each writing organizationDomain.deleted before
// organization.deleted, in the same transaction: a webhook consumer that
// mirrors domains learns they are gone as when one is removed by itself,
// and nobody is left believing that o's domain still invites or suggests.
func (s *Service) destroy(ctx context.Context, r Repo, o *Organization) error {
	now := s.Clock.Now()
	if err := r.ClearActiveOrg(ctx, o.ID, "", now); err != nil {
		return err
	}
	for offset := 0; ; offset += MaxDomains {
		domains, total, err := r.ListDomains(ctx, o.ID, DomainFilter{Limit: MaxDomains, Offset: offset})
		if err != nil {
			return err
		}
		for _, d := range domains {
			if err := emit(ctx, r, events.DomainDeleted, d.ID,
				DeletedDomain{Object: "organization_domain", ID: d.ID, Deleted: true}, now); err != nil {
				return err
			}
		}
		if len(domains) == 0 || offset+len(domains) >= total {
			break
		}
	}
	if err := r.DeleteOrganization(ctx, o.ID); err != nil {
		return notFound(err)
	}
	return emit(ctx, r, events.OrganizationDeleted, o.ID,
		DeletedObject{Object: "organization", ID: o.ID, Slug: o.Slug, Deleted: true}, now)
}

// NeedsPassword reports whether deleting now would ask for the password.
func (s *Service) NeedsPassword(actor Actor) bool {
	return s.Clock.Now().Sub(actor.FactorAt) > ReverifyWindow
}

// MustSignInAgain reports whether deleting now is refused until the
// person signs in again: their factor is older than ReverifyWindow and
// they have no password to confirm with (reverify).
func (s *Service) MustSignInAgain(ctx context.Context, actor Actor) (bool, error) {
	if !s.NeedsPassword(actor) {
		return false, nil
	}
	u, err := s.Repo.UserByID(ctx, actor.UserID)
	if err != nil {
		return false, notFound(err)
	}
	return u.PasswordHash == "" || s.Passwords == nil, nil
}

// reverify passes a session that verified a factor within ReverifyWindow,
// or a correct password. It is the minimal reverification of this issue;
// a fuller one (any factor, a fresh sign-in step) belongs to the profile.
// The password goes through Passwords, sign-in's check: a wrong one counts
// towards the account's lockout, and a locked account's is refused.
// checked, when not nil, hears the outcome of a password check.
func (s *Service) reverify(ctx context.Context, actor Actor, password string, checked func(error)) error {
	if !s.NeedsPassword(actor) {
		return nil
	}
	u, err := s.Repo.UserByID(ctx, actor.UserID)
	if err != nil {
		return notFound(err)
	}
	if u.PasswordHash == "" || s.Passwords == nil {
		return apperr.Field(apperr.Forbidden, "password",
			"For your security, sign out and sign in again, then delete the organization within 10 minutes.").T("org.error.reverify_sign_in")
	}
	if password == "" {
		return apperr.Field(apperr.Invalid, "password", "Enter your password to confirm.").T("org.error.password_required")
	}
	err = s.checkPassword(ctx, u, password)
	if checked != nil {
		checked(err)
	}
	if apperr.CodeOf(err) == apperr.Invalid { // wrong, or the account is locked: one answer
		return apperr.Field(apperr.Invalid, "password", "Password is incorrect. Try again.").T("org.error.password_incorrect")
	}
	return err
}

// Logo returns the organization's logo to a member.
func (s *Service) Logo(ctx context.Context, actor Actor, orgID string) (*Logo, error) {
	if _, err := s.View(ctx, actor, orgID); err != nil {
		return nil, err
	}
	l, err := s.Repo.OrganizationLogo(ctx, orgID)
	return l, notFound(err)
}
