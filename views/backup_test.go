package views

import "testing"

// The downloaded codes are named after the app, in a name every system
// takes: letters and digits, in any script, joined by single hyphens.
func TestBackupFileName(t *testing.T) {
	for app, want := range map[string]string{
		"Acme":             "acme-backup-codes.txt",
		"Acme Corp.":       "acme-corp-backup-codes.txt",
		"../../etc/passwd": "etc-passwd-backup-codes.txt",
		`a\b:c*d?"e<f>|g`:  "a-b-c-d-e-f-g-backup-codes.txt",
		"Société Générale": "société-générale-backup-codes.txt",
		"東京 App":           "東京-app-backup-codes.txt",
		"":                 "backup-codes.txt",
	} {
		if got := backupFileName(BackupCodesShown{Page: Page{AppName: app}}); got != want {
			t.Errorf("app %q: file %q, want %q", app, got, want)
		}
	}
}

// The page hands static/backup.js the codes' list, the file's name and
// first line, and the words it says; its buttons are hidden until the
// script shows them, so without it the page is the codes as text.
func TestBackupCodesPageWithoutScript(t *testing.T) {
	doc, _ := render(t, BackupCodesPage(BackupCodesShown{Page: Page{AppName: "Acme"}, Heading: "Your new backup codes",
		Codes: []string{"abcde-fghjk", "mnpqr-stuvw"}, Account: "jo@example.com", ContinueURL: "/user/security"}))
	box := doc.Find("[data-backup-codes]")
	if _, hidden := box.Attr("hidden"); !hidden || box.Find(`button[type="button"]`).Length() != 3 {
		t.Fatalf("the buttons: hidden %v, %d type=button", hidden, box.Find(`button[type="button"]`).Length())
	}
	if id := box.AttrOr("data-backup-codes", ""); doc.Find("#"+id+" code").Length() != 2 {
		t.Errorf("data-backup-codes=%q names no list of the codes", id)
	}
	for attr, want := range map[string]string{
		"data-file-name":    "acme-backup-codes.txt",
		"data-file-heading": "Backup codes for jo@example.com on Acme. Each code works once.",
		"data-copied":       "Copied to the clipboard.",
	} {
		if got := box.AttrOr(attr, ""); got != want {
			t.Errorf("%s = %q, want %q", attr, got, want)
		}
	}
	if doc.Find(`[role="status"][data-backup-status]`).Length() != 1 || doc.Find(`script[src="/static/backup.js"]`).Length() != 1 {
		t.Error("no live region for what the buttons did, or no script")
	}
}
