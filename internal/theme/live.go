package theme

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Live is the configured appearance: the theme and the owner's extra
// stylesheet (PORTAL_THEME_CSS). In development it re-reads a file that
// changed on disk, so an owner editing a theme sees the edit on reload; in
// production both are read once, at start-up.
type Live struct {
	ref, customPath string
	dev             bool

	// Loaded, when set, is called with each theme read again in
	// development after its file changed (the caller sees the first one
	// from NewLive), for instance to log its contrast problems.
	Loaded func(*Theme)
	// Refused, when set, is called with the error each time a file changed
	// in development is refused (the theme or PORTAL_THEME_CSS): once per
	// change, for instance to log it, where Theme and Custom return the
	// error on every call until the file changes again.
	Refused func(error)

	mu        sync.Mutex
	theme     *Theme
	custom    *Custom
	customAt  stamp
	themeErr  error // the last failed reload, kept until the file changes again
	customErr error
}

// Custom is the owner's stylesheet, served at /theme-custom.css.
type Custom struct {
	CSS     []byte
	Version string
}

// NewLive loads the theme and the custom stylesheet (customPath may be
// empty). An error here should stop start-up: it names the file and key.
func NewLive(ref, customPath string, dev bool) (*Live, error) {
	l := &Live{ref: ref, customPath: customPath, dev: dev}
	t, err := Load(ref, dev)
	if err != nil {
		return nil, err
	}
	l.theme = t
	if customPath != "" {
		c, st, err := readCustom(customPath)
		if err != nil {
			return nil, err
		}
		l.custom, l.customAt = c, st
	}
	return l, nil
}

// Theme returns the theme in force. In development, when a file it was
// read from changed, it is read again; if the new version is refused, the
// last good theme is returned along with the error, so the page still
// renders and the log says what to fix.
func (l *Live) Theme() (*Theme, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.dev || !changed(l.theme.files) {
		return l.theme, l.themeErr
	}
	t, err := Load(l.ref, l.dev)
	if err != nil {
		// Remember the stamps of what was refused so it is not re-read on
		// every request, and report it until the owner saves again.
		l.theme.files = restamp(l.theme.files)
		l.themeErr = err
		if l.Refused != nil {
			l.Refused(err)
		}
		return l.theme, err
	}
	l.theme, l.themeErr = t, nil
	if l.Loaded != nil {
		l.Loaded(t)
	}
	return t, nil
}

// Custom returns the owner's stylesheet, or nil when none is configured.
func (l *Live) Custom() (*Custom, error) {
	if l.customPath == "" {
		return nil, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.dev || !changed([]stamp{l.customAt}) {
		return l.custom, l.customErr
	}
	c, st, err := readCustom(l.customPath)
	if err != nil {
		l.customAt, l.customErr = restamp([]stamp{l.customAt})[0], err
		if l.Refused != nil {
			l.Refused(err)
		}
		return l.custom, err
	}
	l.custom, l.customAt, l.customErr = c, st, nil
	return c, nil
}

// CustomPath is PORTAL_THEME_CSS, the owner's stylesheet ("" for none).
func (l *Live) CustomPath() string { return l.customPath }

// Dev reports whether files are re-read when they change.
func (l *Live) Dev() bool { return l.dev }

func readCustom(path string) (*Custom, stamp, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		abs, _ := filepath.Abs(path)
		return nil, stamp{}, fmt.Errorf("PORTAL_THEME_CSS: no file %s (looked for %s): give the path of a .css file, or leave PORTAL_THEME_CSS unset", path, abs)
	}
	if err != nil {
		return nil, stamp{}, fmt.Errorf("PORTAL_THEME_CSS: %w", err)
	}
	if st.Size() > maxFile {
		return nil, stamp{}, fmt.Errorf("PORTAL_THEME_CSS: %s is larger than %d KiB", path, maxFile>>10)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, stamp{}, fmt.Errorf("PORTAL_THEME_CSS: %w", err)
	}
	sum := sha256.Sum256(data)
	return &Custom{CSS: data, Version: hex.EncodeToString(sum[:8])},
		stamp{path: path, mod: st.ModTime(), size: st.Size(), found: true}, nil
}

// changed reports whether any file's modification time or size differs
// from when it was read (a simple check; editors save whole files).
func changed(files []stamp) bool {
	for _, f := range files {
		st, err := os.Stat(f.path)
		found := err == nil
		if found != f.found || (found && (!st.ModTime().Equal(f.mod) || st.Size() != f.size)) {
			return true
		}
	}
	return false
}

func restamp(files []stamp) []stamp {
	out := make([]stamp, len(files))
	for i, f := range files {
		out[i] = stamp{path: f.path}
		if st, err := os.Stat(f.path); err == nil {
			out[i] = stamp{path: f.path, mod: st.ModTime(), size: st.Size(), found: true}
		}
	}
	return out
}
