package browser

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// axeVersion is the axe-core release `make deps` installs from the npm
// registry; it is not kept in this repository.
const axeVersion = "4.14.1"

// axeScript reads axe-core from PORTAL_TEST_AXE, or from where `make deps`
// puts it under the user's cache directory. A missing axe fails the test:
// a skipped accessibility check would look like a passing one.
func axeScript(t *testing.T) string {
	t.Helper()
	path := os.Getenv("PORTAL_TEST_AXE")
	if path == "" {
		if dir, err := os.UserCacheDir(); err == nil {
			path = filepath.Join(dir, "portal-test", "axe", "node_modules", "axe-core", "axe.min.js")
		}
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("axe-core %s is needed for the accessibility tests and was not found (%v): run `make deps`, "+
			"which installs it from the npm registry, or set PORTAL_TEST_AXE=/path/to/axe.min.js", axeVersion, err)
	}
	return string(src)
}

// axeViolation is one rule axe found broken, with the elements that break it.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		Summary string `json:"failureSummary"`
		HTML    string `json:"html"`
	} `json:"nodes"`
}

// blocking is what fails a page: serious and critical violations (colour
// contrast, missing labels, names of controls…). Moderate and minor ones
// are logged.
func (v axeViolation) blocking() bool { return v.Impact == "serious" || v.Impact == "critical" }

func (v axeViolation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", v.ID, v.Impact, v.Help)
	for _, n := range v.Nodes {
		fmt.Fprintf(&b, "\n      %v %s\n        %s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", "\n        "))
	}
	return b.String()
}

// axe injects axe-core into the loaded page through DevTools (so the
// page's CSP does not apply to it) and returns its violations, run with
// every rule axe enables by default.
func (b *tab) axe(script string) []axeViolation {
	b.t.Helper()
	ctx, cancel := b.bounded()
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](script)); err != nil {
		b.fatalf("inject axe-core: %v", err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](
		`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations)`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fatalf("run axe-core: %v", err)
	}
	var out []axeViolation
	if err := json.Unmarshal(raw, &out); err != nil {
		b.fatalf("axe-core result: %v", err)
	}
	return out
}
