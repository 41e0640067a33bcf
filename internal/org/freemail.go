package org

// freeMail are the domains of common free email services, which no
// organization can claim as its own: anyone can open an address there, so
// verifying an address at one proves nothing about belonging to an
// organization (Clerk refuses them the same way, naming gmail.com). The
// list was written for Portal by hand from the best-known public webmail
// providers worldwide (their own sign-up domains, with the country
// variants people most often have); it copies no published list and is
// short on purpose: it catches the obvious mistake, it is not a complete
// register of consumer domains. Public suffixes (com, co.uk…) are refused
// separately, through golang.org/x/net/publicsuffix.
var freeMail = map[string]bool{}

func init() {
	for _, d := range []string{
		// Google, Microsoft, Yahoo, Apple, AOL
		"gmail.com", "googlemail.com",
		"outlook.com", "hotmail.com", "live.com", "msn.com", "passport.com",
		"hotmail.co.uk", "hotmail.fr", "hotmail.de", "hotmail.es", "hotmail.it", "outlook.fr", "outlook.de", "outlook.es",
		"live.co.uk", "live.fr", "live.de", "outlook.jp", "hotmail.co.jp", "outlook.com.br", "hotmail.com.br",
		"yahoo.com", "ymail.com", "rocketmail.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "yahoo.es", "yahoo.it",
		"yahoo.co.jp", "yahoo.com.br", "yahoo.ca", "yahoo.com.au", "yahoo.co.in",
		"icloud.com", "me.com", "mac.com",
		"aol.com", "aim.com",
		// Privacy-minded and independent services
		"proton.me", "protonmail.com", "protonmail.ch", "pm.me", "tutanota.com", "tutanota.de", "tuta.io", "tuta.com",
		"fastmail.com", "fastmail.fm", "hey.com", "zoho.com", "zohomail.com", "mailbox.org", "posteo.de", "posteo.net",
		"gmx.com", "gmx.net", "gmx.de", "gmx.at", "gmx.ch", "web.de", "mail.com", "email.com", "t-online.de", "freenet.de",
		"orange.fr", "wanadoo.fr", "free.fr", "laposte.net", "sfr.fr", "libero.it", "virgilio.it", "tiscali.it",
		"btinternet.com", "sky.com", "comcast.net", "verizon.net", "att.net", "sbcglobal.net",
		// Eastern Europe and Asia
		"yandex.ru", "yandex.com", "ya.ru", "mail.ru", "inbox.ru", "list.ru", "bk.ru", "rambler.ru",
		"qq.com", "163.com", "126.com", "yeah.net", "sina.com", "sohu.com", "aliyun.com",
		"naver.com", "daum.net", "hanmail.net", "docomo.ne.jp", "ezweb.ne.jp", "softbank.ne.jp",
		"rediffmail.com", "uol.com.br", "bol.com.br", "terra.com.br",
	} {
		freeMail[d] = true
	}
}

// IsFreeMail reports whether domain (lower-case, ASCII) is a common free
// email service's.
func IsFreeMail(domain string) bool { return freeMail[domain] }
