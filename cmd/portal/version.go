package main

import (
	"fmt"
	"runtime/debug"
)

// buildVersion says which portal this is: the module version Go stamped
// at build time (a release tag, or a pseudo-version naming the commit;
// "(devel)" when built without version control information), the commit
// it was built from and when that was, whether the tree had changes not
// committed, and the Go version that built it.
type buildVersion struct {
	Module, Revision, Time string
	Modified               bool
	Go                     string
}

// readVersion reads the version from info, as debug.ReadBuildInfo gives it.
func readVersion(info *debug.BuildInfo, ok bool) buildVersion {
	v := buildVersion{Module: "(unknown)"}
	if !ok {
		return v
	}
	v.Go = info.GoVersion
	if info.Main.Version != "" {
		v.Module = info.Main.Version
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

func (v buildVersion) String() string {
	s := "portal " + v.Module
	if v.Revision != "" {
		s += ", commit " + v.Revision
		if v.Time != "" {
			s += " of " + v.Time
		}
		if v.Modified {
			s += " with uncommitted changes"
		}
	}
	return s + fmt.Sprintf(", built with %s", v.Go)
}

// attrs are v for a log line.
func (v buildVersion) attrs() []any {
	a := []any{"version", v.Module, "go", v.Go}
	if v.Revision != "" {
		a = append(a, "commit", v.Revision, "modified", v.Modified)
	}
	return a
}
