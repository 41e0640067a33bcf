package browser

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// A common phone's width, where the organization tabs once broke onto two
// lines.
const phoneTabsWidth, phoneTabsHeight = 375, 667

// tabsState says how the organization tabs lie: on how many lines, whether
// they scroll sideways, whether the current tab and the focused one are
// wholly in view, and whether the page itself is wider than the screen.
const tabsState = `JSON.stringify((() => {
	// Every line drawn across the card within 2rem under the tabs: the
	// tabs' own bottom border, and any other element's top or bottom
	// border (not a box's, such as the search field's).
	const rulesUnder = (nav) => {
		const bottom = nav.getBoundingClientRect().bottom, lines = [];
		for (const el of nav.closest(".cl-card").querySelectorAll("*")) {
			const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
			if (r.width < nav.getBoundingClientRect().width / 2 || parseFloat(cs.borderLeftWidth) > 0) continue;
			if (parseFloat(cs.borderTopWidth) > 0 && cs.borderTopStyle !== "none") lines.push(r.top);
			if (parseFloat(cs.borderBottomWidth) > 0 && cs.borderBottomStyle !== "none") lines.push(r.bottom);
		}
		return lines.filter(y => y > bottom - 4 && y < bottom + 32).length;
	};
	const nav = document.querySelector(".cl-orgNav"), box = nav.getBoundingClientRect();
	const items = [...nav.querySelectorAll(".cl-orgNavItem")];
	const inView = (el) => { const r = el.getBoundingClientRect(); return r.left >= box.left - 0.5 && r.right <= box.right + 0.5; };
	const focused = document.activeElement;
	return {
		tabs: items.length,
		lines: new Set(items.map(a => Math.round(a.getBoundingClientRect().top))).size,
		scrolls: nav.scrollWidth > nav.clientWidth && ["auto", "scroll"].includes(getComputedStyle(nav).overflowX),
		shaded: getComputedStyle(nav).backgroundImage.includes("radial-gradient"),
		current: inView(nav.querySelector('[aria-current="page"]')),
		focused: items.includes(focused) ? focused.textContent.trim() + (inView(focused) ? "" : " (out of view: " + JSON.stringify([box.left, box.right, focused.getBoundingClientRect().left, focused.getBoundingClientRect().right, nav.scrollLeft]) + ")") : "",
		pageWide: document.documentElement.scrollWidth > document.documentElement.clientWidth,
		rulesUnder: rulesUnder(nav),
		scrolled: nav.scrollLeft,
		logoOff: (() => {
			const logo = nav.querySelector(".cl-orgAvatar").getBoundingClientRect(), r = document.createRange();
			r.selectNodeContents(items[0]);
			const word = r.getBoundingClientRect();
			return Math.abs((logo.top + logo.bottom) / 2 - (word.top + word.bottom) / 2);
		})(),
	};
})())`

type tabsLie struct {
	Tabs, Lines              int
	Scrolls, Shaded, Current bool
	Focused                  string
	PageWide                 bool
	RulesUnder               int
	Scrolled, LogoOff        float64
}

func (b *tab) tabs() tabsLie {
	b.t.Helper()
	var s tabsLie
	if err := json.Unmarshal([]byte(b.eval(tabsState)), &s); err != nil {
		b.fatalf("read the tabs: %v", err)
	}
	return s
}

// TestOrganizationTabsOnAPhone: at 375 px the organization tabs stay on
// one line, with one rule under them. Where they don't fit they scroll sideways, with a shadow at
// the edge that has more; the current tab is in view when the page opens,
// with scripts or without; and each tab the keyboard reaches comes into
// view. The page itself never scrolls sideways.
func TestOrganizationTabsOnAPhone(t *testing.T) {
	t.Parallel()
	w := start(t, nil)
	ada := w.b
	w.signUp()
	ada.open(w.p.URL + "/create-organization?redirect_url=" + url.QueryEscape(w.app.URL))
	ada.typeInto("name-field", "Acme")
	ada.submit("create the organization", `form[action="/create-organization"]`)
	orgID := ada.text("#org-id")

	ada.do("375 px viewport", chromedp.EmulateViewport(phoneTabsWidth, phoneTabsHeight))
	for _, page := range []string{"", "/members", "/invitations", "/requests"} {
		ada.open(w.p.URL + "/organizations/" + orgID + page)
		s := ada.tabs()
		if s.Lines != 1 || !s.Current || s.PageWide {
			ada.fatalf("at %d px, %s: tabs on %d lines, current tab in view %v, page wider than the screen %v",
				phoneTabsWidth, "/organizations/…"+page, s.Lines, s.Current, s.PageWide)
		}
		// On the first tab the tabs stay at their start: the
		// organization's logo whole, not a sliver of it at the edge.
		if page == "" && s.Scrolled != 0 {
			ada.fatalf("at %d px, on General, the first tab, the tabs open scrolled by %v px, cutting the logo", phoneTabsWidth, s.Scrolled)
		}
		// The logo is level with the tabs' words.
		if s.LogoOff > 1.5 {
			ada.fatalf("at %d px, %s: the logo's middle is %.1f px off the middle of the tabs' words", phoneTabsWidth, "/organizations/…"+page, s.LogoOff)
		}
		// One line under the tabs: theirs. The section under them draws
		// no second rule a few pixels lower (it did on every tab but
		// Members while orgnav.js's <script> stood between the two).
		if s.RulesUnder != 1 {
			ada.fatalf("at %d px, %s: %d lines drawn across the card just under the tabs, want 1 (the tabs' own)",
				phoneTabsWidth, "/organizations/…"+page, s.RulesUnder)
		}
	}
	// The requests page shows all four tabs, which a 375 px screen cannot
	// hold: they scroll, shaded, and the last, current, one shows.
	if s := ada.tabs(); s.Tabs != 4 || !s.Scrolls || !s.Shaded {
		ada.fatalf("on the requests page at %d px: %+v, want 4 tabs scrolling sideways with a shadow", phoneTabsWidth, s)
	}

	// The keyboard: from the top of the page, each tab reached comes into
	// view, the first (scrolled out of sight) included.
	var reached []string
	for i := 0; i < 12 && len(reached) < 4; i++ {
		ada.do("press Tab", chromedp.KeyEvent(kb.Tab))
		if f := ada.tabs().Focused; f != "" && (len(reached) == 0 || reached[len(reached)-1] != f) {
			reached = append(reached, f)
		}
	}
	if want := `["General","Members","Invitations","Requests"]`; jsonOf(reached) != want {
		ada.fatalf("tabbing through the tabs reached %s, want %s, each in view", jsonOf(reached), want)
	}

	// Without scripts, the current tab still shows when the page opens.
	ada.disableJavaScript()
	ada.open(w.p.URL + "/organizations/" + orgID + "/requests")
	if s := ada.tabs(); s.Lines != 1 || !s.Scrolls || !s.Current {
		ada.fatalf("with JavaScript off, at %d px: %+v, want one line, scrolling, the current tab in view", phoneTabsWidth, s)
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
