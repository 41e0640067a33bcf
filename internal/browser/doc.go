// Package browser holds the end-to-end tests that drive a real Chromium
// through the portal's pages and into a relying app on another localhost
// port, the way a person and an app meet the portal in development. It has
// no code of its own: everything is in its tests.
package browser
