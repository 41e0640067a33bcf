package handlers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/apperr"
	"github.com/portalhq/portal/internal/invitation"
	"github.com/portalhq/portal/internal/org"
	"github.com/portalhq/portal/internal/signintoken"
	"github.com/portalhq/portal/internal/waitlist"
)

// A conflict is answered by what it is: a value another record holds
// (naming the field) is Clerk's 422 form_identifier_exists; one with a
// code of its own gets that code's status wherever it is met, in a bulk
// item too; one without either is Clerk's generic 409 conflict, never
// form_identifier_exists.
func TestAPIErrorOfAConflict(t *testing.T) {
	a := &app{Deps: Deps{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	c := echo.New().NewContext(httptest.NewRequest(http.MethodPost, "/v1/x", nil), httptest.NewRecorder())
	for _, tc := range []struct {
		name   string
		err    error
		status int
		code   string
		param  string
	}{
		{"a value taken", apperr.Field(apperr.Conflict, "email_address", "taken"), 422, "form_identifier_exists", "email_address"},
		{"no field, no code", apperr.New(apperr.Conflict, "changed"), 409, "conflict", ""},
		{"a code of its own", apperr.New(apperr.Conflict, "revoked").Coded("invitation_already_revoked"),
			400, "invitation_already_revoked", ""},
		{"a code of its own on a field", apperr.Field(apperr.Conflict, "email_address", "pending").Coded("duplicate_record"),
			400, "duplicate_record", "email_address"},
		{"a bulk item's", apperr.Nth(apperr.Field(apperr.Conflict, "email_address", "twice").Coded("form_param_duplicate"), "Item", 1, 2),
			422, "form_param_duplicate", "email_address"},
		{"a race lost", apperr.New(apperr.Conflict, "try again").Coded("resource_locked"), 409, "resource_locked", ""},
		{"a code the table lacks", apperr.New(apperr.Conflict, "x").Coded("something_else"), 409, "something_else", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := a.toAPIError(c, tc.err)
			if got.Status != tc.status || got.Code != tc.code || got.Meta["param_name"] != nil != (tc.param != "") ||
				tc.param != "" && got.Meta["param_name"] != tc.param {
				t.Errorf("%d %s %v, want %d %s param %q", got.Status, got.Code, got.Meta, tc.status, tc.code, tc.param)
			}
		})
	}
}

// Every Backend API code an error may carry has its status in apiCodes:
// one missing there would be answered, silently, with the general status
// of its apperr.Code. The codes are read from the sources rather than
// listed here, so a new .Coded("…") cannot be forgotten: each .Coded
// argument, and each string literal set on or compared with an APICode
// field, in the module's non-test Go files. A table entry that no error
// carries fails too, so the table says what the API answers.
func TestAPICodesHaveStatuses(t *testing.T) {
	found := apiCodesInSource(t, "..")
	// The scan sees the refusals known to carry a code, wherever the call
	// sits (a package-level var, a line of its own after a chain).
	for _, err := range []*apperr.Error{invitation.ErrRevokedAlready, invitation.ErrAcceptedAlready,
		signintoken.ErrNotPending, signintoken.ErrActorNotPending, org.ErrInvitationRevokedAlready,
		org.ErrInvitationAcceptedAlready, org.ErrInvitationReplacedAlready, org.ErrDomainTaken, org.ErrDomainLimit,
		org.ErrLastAdmin, org.ErrMemberLimit, waitlist.ErrCompleted} {
		if _, ok := found[err.APICode]; !ok {
			t.Errorf("the scan missed %q (%s): it is not reading the sources", err.APICode, err.Message)
		}
	}
	for _, code := range slices.Sorted(maps.Keys(found)) {
		if _, ok := apiCodes[code]; !ok {
			t.Errorf("%s: API code %q has no status in apiCodes (handlers/backendapi.go)", found[code][0], code)
		}
	}
	for code := range apiCodes {
		if _, ok := found[code]; !ok {
			t.Errorf("apiCodes has %q, which no error carries", code)
		}
	}
}

// apiCodesInSource returns each API code the non-test Go files under root
// attach to an error, with where: the argument of every .Coded call (a
// string literal or a string constant, which it resolves), and every
// non-empty string set on an APICode field or compared with one. A .Coded
// argument it cannot resolve is an error: the code must be checkable.
func apiCodesInSource(t *testing.T, root string) map[string][]string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("%s is not the module's root: %v", root, err)
	}
	type file struct {
		dir string
		f   *ast.File
	}
	var (
		fset  = token.NewFileSet()
		files []file
		// String constants: by directory and name, for Name, and by
		// package name and name, for pkg.Name.
		local, qualified = map[[2]string]string{}, map[[2]string]string{}
	)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" ||
				name == "vendor" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		files = append(files, file{dir, f})
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i >= len(vs.Values) {
						break
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						local[[2]string{dir, name.Name}] = v
						qualified[[2]string{f.Name.Name, name.Name}] = v
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 100 {
		t.Fatalf("parsed %d Go files under %s; not the module", len(files), root)
	}

	found := map[string][]string{}
	for _, fl := range files {
		value := func(e ast.Expr) (string, bool) {
			for {
				p, ok := e.(*ast.ParenExpr)
				if !ok {
					break
				}
				e = p.X
			}
			switch e := e.(type) {
			case *ast.BasicLit:
				if e.Kind == token.STRING {
					v, err := strconv.Unquote(e.Value)
					return v, err == nil
				}
			case *ast.Ident:
				v, ok := local[[2]string{fl.dir, e.Name}]
				return v, ok
			case *ast.SelectorExpr:
				if x, ok := e.X.(*ast.Ident); ok {
					v, ok := qualified[[2]string{x.Name, e.Sel.Name}]
					return v, ok
				}
			}
			return "", false
		}
		add := func(e ast.Expr, strict bool) {
			v, ok := value(e)
			switch {
			case !ok && strict:
				t.Errorf("%s: .Coded with an argument this test cannot read; give a string literal or constant",
					fset.Position(e.Pos()))
			case ok && v != "":
				found[v] = append(found[v], fset.Position(e.Pos()).String())
			}
		}
		isAPICode := func(e ast.Expr) bool {
			s, ok := e.(*ast.SelectorExpr)
			return ok && s.Sel.Name == "APICode"
		}
		ast.Inspect(fl.f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if s, ok := n.Fun.(*ast.SelectorExpr); ok && s.Sel.Name == "Coded" && len(n.Args) == 1 {
					add(n.Args[0], true)
				}
			case *ast.KeyValueExpr:
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "APICode" {
					add(n.Value, false)
				}
			case *ast.AssignStmt:
				if len(n.Lhs) == len(n.Rhs) {
					for i, l := range n.Lhs {
						if isAPICode(l) {
							add(n.Rhs[i], false)
						}
					}
				}
			case *ast.BinaryExpr:
				if n.Op == token.EQL || n.Op == token.NEQ {
					if isAPICode(n.X) {
						add(n.Y, false)
					} else if isAPICode(n.Y) {
						add(n.X, false)
					}
				}
			}
			return true
		})
	}
	return found
}
