package main

import (
	"fmt"
	"runtime/debug"
)

// version is what `make build` and `make run` stamp with -ldflags
// "-X main.version=…": git describe --tags --always --dirty (v1.4.0,
// v1.4.0-3-g2e721e4, 2e721e4-dirty), so a binary built in a git worktree
// or with -buildvcs=false still says which it is. Empty when the build
// did not stamp it (go install, a plain go build, a tarball without
// .git). Only the linker writes it.
var version string

// currentVersion is this binary's version: the stamped one when the build
// gave one, else the one Go recorded.
func currentVersion() buildVersion {
	return readVersion(debug.ReadBuildInfo()).stamped(version)
}

// buildVersion says which portal this is: the module version Go stamped
// at build time (a release tag, or a pseudo-version naming the commit;
// "(devel)" when built without version control information) unless the
// build stamped its own (version), the commit it was built from and when
// that was, whether the tree had changes not committed, and the Go
// version that built it.
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

// stamped is v with the version the build stamped, when it did: git
// describe's name for the tree wins over Go's, which is "(devel)" where Go
// could not read the repository.
func (v buildVersion) stamped(s string) buildVersion {
	if s != "" {
		v.Module = s
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
