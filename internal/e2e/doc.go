// Package e2e tests the portal over HTTP, as a browser and a relying app see
// it: a real portal (portaltest.Start) with SQLite and SMTP, driven through
// its server-rendered forms. It holds tests only; this file gives the
// package a buildable member so "go build ./internal/e2e" succeeds.
package e2e
