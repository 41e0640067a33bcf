package org

import (
	"context"
	"slices"

	"github.com/portalhq/portal/internal/id"
)

// DomainObject is a verified domain as the Backend API and webhooks show
// it, shaped like Clerk's organization_domain (timestamps in ms).
type DomainObject struct {
	Object                  string              `json:"object"`
	ID                      string              `json:"id"`
	OrganizationID          string              `json:"organization_id"`
	Name                    string              `json:"name"`
	EnrollmentMode          string              `json:"enrollment_mode"`
	AffiliationEmailAddress *string             `json:"affiliation_email_address"`
	Verification            *DomainVerification `json:"verification"`
	TotalPendingInvitations int                 `json:"total_pending_invitations"`
	// TotalPendingSuggestions counts the suggestions made through the
	// domain that nobody asked for yet.
	TotalPendingSuggestions int   `json:"total_pending_suggestions"`
	CreatedAt               int64 `json:"created_at"`
	UpdatedAt               int64 `json:"updated_at"`
}

// DomainVerification is the state of a domain's verification. Strategy is
// email_code, the only one Clerk documents for affiliation, also for a
// domain the Backend API marked verified (attempts 0, expire_at null).
type DomainVerification struct {
	Status   string `json:"status"` // verified or unverified
	Strategy string `json:"strategy"`
	Attempts int    `json:"attempts"`
	ExpireAt *int64 `json:"expire_at"`
}

// DeletedDomain is what DELETE answers and organizationDomain.deleted
// carries.
type DeletedDomain struct {
	Object  string `json:"object"`
	ID      string `json:"id"`
	Deleted bool   `json:"deleted"`
}

// domainObject builds d's object from what r holds: the latest code's
// attempts and expiry, and the pending invitations and suggestions at the
// domain.
func (s *Service) domainObject(ctx context.Context, r Repo, d *Domain) (DomainObject, error) {
	obj := DomainObject{Object: "organization_domain", ID: d.ID, OrganizationID: d.OrgID, Name: d.Name,
		EnrollmentMode: d.EnrollmentMode, CreatedAt: d.CreatedAt.UnixMilli(), UpdatedAt: d.UpdatedAt.UnixMilli()}
	if d.AffiliationEmail != "" {
		e := d.AffiliationEmail
		obj.AffiliationEmailAddress = &e
	}
	v, err := r.LatestVerification(ctx, d.ID, domainCode)
	if err != nil {
		return DomainObject{}, err
	}
	if d.Verified() || v != nil {
		obj.Verification = &DomainVerification{Status: "unverified", Strategy: domainCode}
		if d.Verified() {
			obj.Verification.Status = "verified"
		}
		if v != nil {
			exp := v.ExpireAt.UnixMilli()
			obj.Verification.Attempts, obj.Verification.ExpireAt = v.Attempts, &exp
		}
	}
	if obj.TotalPendingInvitations, err = r.CountPendingInvitationsAt(ctx, d.OrgID, d.Name, s.Clock.Now()); err != nil {
		return DomainObject{}, err
	}
	if obj.TotalPendingSuggestions, err = r.CountPendingSuggestionsAt(ctx, d.OrgID, d.Name); err != nil {
		return DomainObject{}, err
	}
	return obj, nil
}

func (s *Service) emitDomain(ctx context.Context, r Repo, typ string, d *Domain) error {
	obj, err := s.domainObject(ctx, r, d)
	if err != nil {
		return err
	}
	return emit(ctx, r, typ, d.ID, obj, s.Clock.Now())
}

// AdminDomainInput is POST /v1/organizations/{id}/domains.
type AdminDomainInput struct {
	Name           string
	EnrollmentMode string // "" = manual_invitation
	Verified       *bool  // nil = true, as Clerk's
}

// CreateDomain adds a domain to an organization, verified unless asked
// otherwise; a verified one in automatic_invitation or
// automatic_suggestion mode invites the people who have an address there,
// or suggests the organization to them.
func (a *Admin) CreateDomain(ctx context.Context, orgID string, in AdminDomainInput) (DomainObject, error) {
	name, err := CleanDomain(in.Name)
	if err != nil {
		return DomainObject{}, err
	}
	mode := in.EnrollmentMode
	if mode == "" {
		mode = ManualInvitation
	}
	if err := checkMode(mode); err != nil {
		return DomainObject{}, err
	}
	var out DomainObject
	err = a.s.InTx(ctx, func(r Repo) error {
		if err := r.LockName(ctx, domainLock(name)); err != nil {
			return err
		}
		acc, err := a.s.access(ctx, r, a.actor(), orgID, true)
		if err != nil {
			return err
		}
		now := a.s.Clock.Now()
		d := &Domain{ID: id.New(DomainPrefix), OrgID: orgID, Name: name, EnrollmentMode: mode, CreatedAt: now, UpdatedAt: now}
		if in.Verified == nil || *in.Verified {
			d.VerifiedAt = &now
		}
		if err := a.s.createDomain(ctx, r, acc.Org, d); err != nil {
			return err
		}
		out, err = a.s.domainObject(ctx, r, d)
		return err
	})
	return out, err
}

// Domains lists an organization's domains f selects, by name.
func (a *Admin) Domains(ctx context.Context, orgID string, f DomainFilter) ([]DomainObject, int, error) {
	if err := checkPage(&f.Limit, &f.Offset); err != nil {
		return nil, 0, err
	}
	for _, m := range f.Modes {
		if !slices.Contains([]string{ManualInvitation, AutomaticInvitation, AutomaticSuggestion}, m) {
			return nil, 0, invalid("enrollment_mode", "Give manual_invitation, automatic_invitation or automatic_suggestion.")
		}
	}
	if err := checkList("enrollment_mode", f.Modes); err != nil {
		return nil, 0, err
	}
	if _, err := a.s.Repo.OrganizationByID(ctx, orgID); err != nil {
		return nil, 0, notFound(err)
	}
	list, total, err := a.s.Repo.ListDomains(ctx, orgID, f)
	if err != nil {
		return nil, 0, err
	}
	out := make([]DomainObject, 0, len(list))
	for i := range list {
		obj, err := a.s.domainObject(ctx, a.s.Repo, &list[i])
		if err != nil {
			return nil, 0, err
		}
		out = append(out, obj)
	}
	return out, total, nil
}

// AdminDomainUpdate is PATCH /v1/organizations/{id}/domains/{domain_id};
// nil leaves a field as it is.
type AdminDomainUpdate struct {
	EnrollmentMode *string
	Verified       *bool
	DeletePending  bool // revoke the pending invitations and withdraw the suggestions at the domain
}

// UpdateDomain changes a domain's enrollment mode or marks it verified or
// unverified. Unlike the organization's page, the mode may be set on an
// unverified domain: it applies once the domain is verified. DeletePending
// first clears what the domain gave and nobody used, as on the domain's
// page.
func (a *Admin) UpdateDomain(ctx context.Context, orgID, domainID string, in AdminDomainUpdate) (DomainObject, error) {
	if in.EnrollmentMode != nil {
		if err := checkMode(*in.EnrollmentMode); err != nil {
			return DomainObject{}, err
		}
	}
	var out DomainObject
	err := a.s.withinDomain(ctx, a.actor(), orgID, domainID, func(r Repo, acc *Access, d *Domain) error {
		if in.DeletePending {
			if err := a.s.deletePendingAt(ctx, r, d); err != nil {
				return err
			}
		}
		before := *d
		if in.EnrollmentMode != nil {
			d.EnrollmentMode = *in.EnrollmentMode
		}
		if in.Verified != nil {
			switch now := a.s.Clock.Now(); {
			case *in.Verified && !d.Verified():
				d.VerifiedAt = &now
			case !*in.Verified && d.Verified():
				d.VerifiedAt, d.AffiliationEmail = nil, ""
			}
		}
		if d.EnrollmentMode != before.EnrollmentMode || d.Verified() != before.Verified() {
			d.UpdatedAt = a.s.Clock.Now()
			if err := a.s.saveDomain(ctx, r, acc.Org, &before, d); err != nil {
				return err
			}
		}
		var err error
		out, err = a.s.domainObject(ctx, r, d)
		return err
	})
	return out, err
}

// DeleteDomain removes a domain from an organization.
func (a *Admin) DeleteDomain(ctx context.Context, orgID, domainID string) (DeletedDomain, error) {
	err := a.s.withinDomain(ctx, a.actor(), orgID, domainID, func(r Repo, _ *Access, d *Domain) error {
		return a.s.deleteDomain(ctx, r, d)
	})
	if err != nil {
		return DeletedDomain{}, err
	}
	return DeletedDomain{Object: "organization_domain", ID: domainID, Deleted: true}, nil
}
