package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// catalogCall matches a catalog message named in code: p.T("id"),
// p.N("id", n), a.t(c, "id") in handlers, apperr's .T("id"), and an
// apperr.Error's ID: "id" or .ID = "id".
var catalogCall = regexp.MustCompile(`(?:(?:\.T|\.N|\bt)\((?:c, )?|\bID:\s*|\.ID\s*=\s*)"([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)"`)

// Every message ID the code names is in the English catalog, so that no
// page shows a bare ID.
func TestEveryIDInCodeIsInTheCatalog(t *testing.T) {
	en := readLocale(t, Locales(), Source)
	root := filepath.Join("..", "..")
	found := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules") && path != root {
			return filepath.SkipDir
		}
		name := d.Name()
		if !(strings.HasSuffix(name, ".templ") || strings.HasSuffix(name, ".go")) ||
			strings.HasSuffix(name, "_templ.go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range catalogCall.FindAllStringSubmatch(string(src), -1) {
			found++
			if _, ok := en[m[1]]; !ok {
				t.Errorf("%s names %q, which no *.%s.toml holds", path, m[1], Source)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found == 0 {
		t.Fatal("no catalog calls found: the pattern no longer matches the code")
	}
	t.Logf("%d catalog calls checked", found)
}
