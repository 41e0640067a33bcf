package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/views"
)

// GET /organizations/:org_id/members?query=…&page=…
func (a *app) orgMembers(c echo.Context) error {
	actor, _, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	return a.renderMembers(c, http.StatusOK, actor, nil, a.orgNotice(c, c.QueryParam("notice")))
}

// renderMembers shows the page of members the request asks for: its page
// and query come from the URL, or for a POST from the form's hidden
// fields, so a refused change shows the page the person was on. A refusal
// (not a member, no org:sys_memberships:read) ends there.
func (a *app) renderMembers(c echo.Context, status int, actor org.Actor, errs views.Errors, notice string) error {
	q := query(c)
	page, _ := strconv.Atoi(q.Get("page"))
	search, run := q.Get("query"), q.Get("query")
	if err := org.CheckMemberSearch(search); err != nil {
		// Said beside the box, with what was typed in it; the list is
		// everyone's meanwhile.
		errs = withError(errs, "query", a.sayErr(c, err))
		run, page = "", 1
		// What can be shown of it: characters that are not UTF-8 are
		// left out, as the message says.
		search = strings.ToValidUTF8(search, "")
		if status == http.StatusOK {
			status = http.StatusUnprocessableEntity
		}
	}
	acc, list, err := a.Orgs.Members(c.Request().Context(), actor, c.Param("org_id"), run, page)
	if err == nil && list.Page > list.Pages() {
		// Past the end (the last member of the last page was just
		// removed): the last page there is.
		acc, list, err = a.Orgs.Members(c.Request().Context(), actor, c.Param("org_id"), run, list.Pages())
	}
	if err != nil {
		return a.orgRefused(c, actor, err)
	}
	p := views.OrgMembers{Page: a.page(c, a.t(c, "org.members.title", "Org", acc.Org.Name)), Nav: a.orgNav(c, acc, "members", q), Query: search,
		Roles: a.roleOptions(c, acc), CanManage: acc.Can(org.PermMembershipsManage), Total: list.Total,
		PageNum: list.Page, Pages: list.Pages(), Errors: errs, Notice: notice}
	for _, m := range list.Members {
		row := views.OrgMember{ID: m.ID, Name: firstNonEmpty(fullName(m.FirstName, m.LastName), m.Username),
			Email: m.Email, Role: m.Role, RoleName: a.roleName(c, m.Role), Unoffered: !a.Orgs.Roles.Exists(m.Role),
			Joined: a.dayOf(c, m.CreatedAt), You: m.UserID == actor.UserID, Above: !acc.CanGrant(m.Role)}
		if row.Unoffered {
			row.RoleName = a.t(c, "org.members.role_unoffered", "Role", m.Role)
		}
		p.Members = append(p.Members, row)
		if q.Get("notice") == "role_unchanged" && q.Get("member") == row.ID {
			p.Notice = a.t(c, "org.notice.role_unchanged_named", "Name", row.Name, "Role", row.RoleName)
		}
	}
	p.Hidden = append(p.Hidden, p.Nav.Hidden...)
	if list.Page > 1 {
		p.Hidden = append(p.Hidden, views.Hidden{Name: "page", Value: strconv.Itoa(list.Page)})
	}
	var extra url.Values
	if search != "" {
		extra = url.Values{"query": {search}}
		p.Hidden = append(p.Hidden, views.Hidden{Name: "query", Value: search})
	}
	path := "/organizations/" + acc.Org.ID + "/members"
	if list.Page > 1 {
		p.PrevURL = pageURL(path, min(list.Page-1, list.Pages()), q, extra)
	}
	if list.Page < list.Pages() {
		p.NextURL = pageURL(path, list.Page+1, q, extra)
	}
	return render(c, status, views.OrgMembersPage(p))
}

// withError is errs with msg for field, errs itself when msg is "".
func withError(errs views.Errors, field, msg string) views.Errors {
	if msg == "" {
		return errs
	}
	out := views.Errors{field: msg}
	for k, v := range errs {
		out[k] = v
	}
	return out
}

// pageURL is page n of the list at path, with extra (a search) and the
// app's redirect_url from q.
func pageURL(path string, n int, q, extra url.Values) string {
	v := url.Values{"page": {strconv.Itoa(n)}}
	for k, vals := range extra {
		v[k] = vals
	}
	if r := q.Get("redirect_url"); r != "" {
		v.Set("redirect_url", r)
	}
	return path + "?" + v.Encode()
}

// roleOptions are the organization's roles, each withheld that acc's role
// may not give (REQ-AC-03).
func (a *app) roleOptions(c echo.Context, acc *org.Access) []views.RoleOption {
	var out []views.RoleOption
	for _, k := range a.Orgs.Roles.Keys() {
		out = append(out, views.RoleOption{Key: k, Name: a.roleName(c, k), Withheld: !acc.CanGrant(k)})
	}
	return out
}

func fullName(first, last string) string {
	switch {
	case first == "":
		return last
	case last == "":
		return first
	}
	return first + " " + last
}

// POST /organizations/:org_id/members/:membership_id/role
func (a *app) orgChangeRole(c echo.Context) error {
	return a.memberChange(c, "role", func(actor org.Actor, form url.Values) error {
		return a.Orgs.ChangeRole(c.Request().Context(), actor, c.Param("org_id"), c.Param("membership_id"), form.Get("role"))
	})
}

// POST /organizations/:org_id/members/:membership_id/remove
func (a *app) orgRemoveMember(c echo.Context) error {
	return a.memberChange(c, "removed", func(actor org.Actor, _ url.Values) error {
		return a.Orgs.RemoveMember(c.Request().Context(), actor, c.Param("org_id"), c.Param("membership_id"))
	})
}

// memberChange runs a change of the member list and goes back to it: with
// a notice, or with the reason it was refused (last admin, own role).
func (a *app) memberChange(c echo.Context, notice string, change func(org.Actor, url.Values) error) error {
	actor, _, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	form, _ := c.FormParams()
	return a.memberChanged(c, actor, notice, change(actor, form), form)
}

// memberChanged goes back to the members page after a change (or, with
// err, a refusal of one) asked for with form: the page and search it was
// asked from, with notice or what became of it.
func (a *app) memberChanged(c echo.Context, actor org.Actor, notice string, err error, form url.Values) error {
	if code := removedAlreadyNotice(err); code != "" {
		err, notice = nil, code
	}
	var member string
	if errors.Is(err, org.ErrRoleUnchanged) {
		// Nothing changed: the list says so, naming the member
		// (renderMembers).
		err, notice, member = nil, "role_unchanged", c.Param("membership_id")
	}
	if err == nil {
		// Back to the page and search the change was made from.
		back := afterPost("/organizations/"+c.Param("org_id")+"/members", notice, form)
		if member != "" {
			back += "&" + url.Values{"member": {member}}.Encode()
		}
		for _, k := range []string{"page", "query"} {
			if v := form.Get(k); v != "" {
				back += "&" + url.Values{k: {v}}.Encode()
			}
		}
		return c.Redirect(http.StatusSeeOther, back)
	}
	if isRefusal(err) {
		return a.orgRefused(c, actor, err)
	}
	errs, status := a.formErrorsOf(c, err)
	return a.renderMembers(c, status, actor, views.Errors{"": firstMessage(errs)}, "")
}

// GET /organizations/:org_id/members/:membership_id/remove: "Remove" on
// the members page asks first, naming the person and what they lose; its
// Remove posts to orgRemoveMember and Cancel goes back to the page and
// search it came from. What removing would refuse is said on the members
// page instead, as after pressing it.
func (a *app) orgRemoveMemberPage(c echo.Context) error {
	actor, _, ok, err := a.orgActor(c)
	if !ok {
		return err
	}
	q := c.QueryParams()
	acc, m, err := a.Orgs.MemberToRemove(c.Request().Context(), actor, c.Param("org_id"), c.Param("membership_id"))
	if err != nil {
		return a.memberChanged(c, actor, "removed", err, q)
	}
	name := firstNonEmpty(fullName(m.FirstName, m.LastName), m.Username, m.Email)
	if name == "" {
		name = a.t(c, "org.members.a_member")
	}
	heading := a.t(c, "org.members.remove_title", "Name", name, "Org", acc.Org.Name)
	kept := a.membersState(q)
	back := "/organizations/" + acc.Org.ID + "/members"
	if len(kept) > 0 {
		back += "?" + kept.Encode()
	}
	p := views.Confirm{Page: a.page(c, heading), Heading: heading, Danger: true,
		Body:   a.t(c, "org.members.remove_body", "Name", name, "Org", acc.Org.Name),
		Action: "/organizations/" + acc.Org.ID + "/members/" + m.ID + "/remove", Button: a.t(c, "org.members.remove"),
		BackURL: back}
	for _, k := range []string{"redirect_url", "page", "query"} {
		if v := kept.Get(k); v != "" {
			p.Hidden = append(p.Hidden, views.Hidden{Name: k, Value: v})
		}
	}
	return render(c, http.StatusOK, views.ConfirmPage(p))
}

// membersState is what of q the members page keeps from page to page and
// through a change: the page number past the first, the search, and the
// app's redirect_url while it is allowed. A search the list would not run
// (CheckMemberSearch) is left behind.
func (a *app) membersState(q url.Values) url.Values {
	out := url.Values{}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 && n <= org.MaxPage {
		out.Set("page", strconv.Itoa(n))
	}
	if s := q.Get("query"); s != "" && org.CheckMemberSearch(s) == nil {
		out.Set("query", s)
	}
	if r := q.Get("redirect_url"); r != "" {
		if _, err := a.Redirects.CheckOrPortal(r, a.base); err == nil {
			out.Set("redirect_url", r)
		}
	}
	return out
}
