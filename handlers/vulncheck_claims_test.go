package handlers

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// REQ-DEP-01: `make vulncheck` fails on any vulnerability the code reaches
// that .ci/vulncheck.accepted does not explain. An explanation is only as
// good as what it claims about the code, so the claims the accepted echo
// findings rest on are checked here, on every non-test Go file of the
// module: echo's Proxy middleware is never used (GO-2026-6875), and
// nothing asks echo for the client's address (Context.RealIP, which trusts
// X-Forwarded-For, GO-2026-6872) — the portal's own RealIP and
// IPExtractor, which believe forwarded headers only from
// PORTAL_TRUSTED_PROXIES, are the one source. Every accepted ID also
// carries its reason.
func TestVulncheckAcceptedClaimsHold_REQ_DEP_01(t *testing.T) {
	root := ".."
	accepted := filepath.Join(root, ".ci", "vulncheck.accepted")
	f, err := os.Open(accepted)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line := regexp.MustCompile(`^(GO-\d{4}-\d{4,})\s+(\S.*)$`)
	ids := map[string]bool{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		m := line.FindStringSubmatch(s)
		if m == nil || len(strings.Fields(m[2])) < 5 {
			t.Errorf("%s:%d: %q: want an ID followed by the reason it is accepted", accepted, n, s)
			continue
		}
		if ids[m[1]] {
			t.Errorf("%s:%d: %s is listed twice", accepted, n, m[1])
		}
		ids[m[1]] = true
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}

	const middlewarePath = "github.com/labstack/echo/v4/middleware"
	files := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		files++
		middleware := ""
		for _, imp := range file.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == middlewarePath {
				middleware = "middleware"
				if imp.Name != nil {
					middleware = imp.Name.Name
				}
			}
		}
		ast.Inspect(file, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if x, ok := sel.X.(*ast.Ident); ok && middleware != "" && x.Name == middleware &&
				strings.HasPrefix(sel.Sel.Name, "Proxy") {
				t.Errorf("%s: uses echo's %s.%s (GO-2026-6875 is accepted because the portal does not)",
					fset.Position(sel.Pos()), x.Name, sel.Sel.Name)
			}
			// c.RealIP(), or any x.RealIP: only the portal's own RealIP(c),
			// named without a selector inside package handlers, is allowed.
			if sel.Sel.Name == "RealIP" {
				t.Errorf("%s: names %s (GO-2026-6872 is accepted because nothing asks echo for the address)",
					fset.Position(sel.Pos()), "x."+sel.Sel.Name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("only %d Go files under %s: is the walk still over the module?", files, root)
	}
}
