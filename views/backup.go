package views

import (
	"strings"
	"unicode"
)

// backupFileHeading is the line that heads the downloaded and the printed
// codes: what they are, for which account, on which app.
func backupFileHeading(p BackupCodesShown) string {
	return p.T("account.backup.file_heading", "Account", p.Account, "App", p.AppName)
}

// backupFileName names the downloaded codes after the app
// ("acme-backup-codes.txt"): letters and digits kept, in any script; every
// other run of characters (spaces, slashes, dots…) one hyphen, so that no
// operating system refuses or misreads the name.
func backupFileName(p BackupCodesShown) string {
	return fileName(p.T("account.backup.file_name", "App", p.AppName)) + ".txt"
}

func fileName(s string) string {
	var b strings.Builder
	gap := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) {
			if gap && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			gap = false
			continue
		}
		gap = true
	}
	if b.Len() == 0 {
		return "backup-codes"
	}
	return b.String()
}
