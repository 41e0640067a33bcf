package handlers

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/portalhq/portal/internal/id"
	"github.com/portalhq/portal/internal/session"
)

// Cookie names of the contract.
const (
	clientCookie    = "__client"
	sessionCookie   = "__session"
	clientUATCookie = "__client_uat"
	clientIDKey     = "id"
)

// secureCookies is false only for a plain-http development portal, where
// Go clients would otherwise drop the cookies (SECURITY.md T6).
func (a *app) secureCookies() bool { return a.Config.Secure() }

// ownCookie is the name of a cookie only the portal itself reads. Over
// HTTPS it takes the __Host- prefix, which a browser accepts only from a
// secure origin, host-only and on Path=/, so neither a sibling subdomain
// nor a plain-HTTP page can plant or overwrite it (REQ-CK-01). The
// contract's __client, __session and __client_uat keep their names.
func (a *app) ownCookie(name string) string {
	if a.secureCookies() {
		return "__Host-" + strings.TrimPrefix(name, "__")
	}
	return name
}

// clientID returns the ID of the browser's client, or "" when it has none
// (or a cookie that does not verify).
//
// Every handshake refresh starts here, and decoding the cookie (MAC,
// decryption and above all gob, which compiles the cookie's types afresh
// each time) was a few percent of a refresh's CPU. A value that decoded
// once is remembered with its timestamp (clientIDs), so the same browser
// coming back skips the decoding; the age check securecookie makes is
// made again on every use, so a remembered value expires exactly when it
// would have failed to decode.
func (a *app) clientID(c echo.Context) string {
	if id, ok := c.Get(newClientKey).(string); ok { // set by this response
		return id
	}
	ck, err := c.Request().Cookie(clientCookie)
	if err != nil {
		return ""
	}
	now := time.Now().Unix() // securecookie's clock, not the portal's
	if id, ok := a.clientIDs.get(a.clients, ck.Value, now); ok {
		return id
	}
	id := a.clientOfToken(ck.Value)
	if ts, ok := cookieTimestamp(ck.Value); ok && id != "" {
		a.clientIDs.put(a.clients, ck.Value, id, ts)
	}
	return id
}

// clientOfToken returns the client ID a __client cookie value holds, or ""
// when it does not verify (keys, name, age) or holds none: the browser's
// cookie here, a value an app sends POST /v1/clients/verify.
func (a *app) clientOfToken(value string) string {
	values := map[any]any{}
	if err := securecookie.DecodeMulti(clientCookie, value, &values, a.clients.Codecs...); err != nil {
		return ""
	}
	id, _ := values[clientIDKey].(string)
	return id
}

// clientIDsKept is how many decoded __client values each generation of
// app.clientIDs holds.
const clientIDsKept = 4096

// decodedCookies is a bounded map from a cookie value that verified to
// what it held, in two generations: when the newer fills up, the older is
// dropped, so the browsers seen recently stay and the memory stays under
// two generations (a few MB).
type decodedCookies struct {
	mu         sync.Mutex
	size       int
	cur, older map[string]decodedCookie
}

type decodedCookie struct {
	store *sessions.CookieStore
	id    string
	ts    int64 // the cookie's own timestamp, unix seconds
}

func newDecodedCookies(size int) *decodedCookies {
	return &decodedCookies{size: size, cur: map[string]decodedCookie{}, older: map[string]decodedCookie{}}
}

// get returns what value held when store decoded it, if it is remembered
// and still young enough for store's codecs: securecookie refuses a value
// whose timestamp is older than its max age (the store's MaxAge, which
// New sets on every codec).
func (d *decodedCookies) get(store *sessions.CookieStore, value string, now int64) (string, bool) {
	d.mu.Lock()
	e, ok := d.cur[value]
	if !ok {
		if e, ok = d.older[value]; ok {
			d.putLocked(value, e)
		}
	}
	d.mu.Unlock()
	if !ok || e.store != store {
		return "", false
	}
	if maxAge := int64(store.Options.MaxAge); maxAge > 0 && e.ts < now-maxAge {
		return "", false
	}
	return e.id, true
}

func (d *decodedCookies) put(store *sessions.CookieStore, value, id string, ts int64) {
	d.mu.Lock()
	d.putLocked(value, decodedCookie{store: store, id: id, ts: ts})
	d.mu.Unlock()
}

func (d *decodedCookies) putLocked(value string, e decodedCookie) {
	if len(d.cur) >= d.size {
		d.older, d.cur = d.cur, make(map[string]decodedCookie, d.size)
	}
	d.cur[value] = e
}

// cookieTimestamp reads the timestamp securecookie puts in front of a
// value: base64url of "date|value|mac" (the MAC covers the date).
func cookieTimestamp(value string) (int64, bool) {
	b, err := base64.URLEncoding.DecodeString(value)
	if err != nil {
		return 0, false
	}
	date, _, ok := bytes.Cut(b, []byte("|"))
	if !ok {
		return 0, false
	}
	ts, err := strconv.ParseInt(string(date), 10, 64)
	return ts, err == nil
}

// ensureClient returns the browser's client, creating its record when
// missing. Only POSTs create records, so crawlers and load on GET pages
// write nothing. A browser whose cookie holds an ID with no record yet (as
// primeClient hands out) gets the record under that ID; so does the second
// of two first requests sent at once, which finds the first's record.
// Without a cookie that verifies, the browser gets a new client and its
// cookie.
func (a *app) ensureClient(c echo.Context) (string, error) {
	ctx := c.Request().Context()
	if cid := a.clientID(c); cid != "" {
		cl, err := a.Sessions.ClaimClient(ctx, cid)
		if err != nil {
			return "", err
		}
		return cl.ID, nil
	}
	cl, err := a.Sessions.NewClient(ctx)
	if err != nil {
		return "", err
	}
	return cl.ID, a.setClientCookie(c, cl.ID)
}

// primeClient gives a browser without a __client cookie that verifies one
// holding a fresh client ID, and writes no record: the sign-in and sign-up
// pages call it, so that the forms they show, even sent twice at once
// before any record exists, reach ensureClient with one ID and so start
// one flow. The ID is minted here and travels only in the signed cookie.
func (a *app) primeClient(c echo.Context) error {
	if a.clientID(c) != "" {
		return nil
	}
	return a.setClientCookie(c, id.New(id.Client))
}

// setClientCookie sets the browser's __client cookie to hold cid; the rest
// of the request sees the browser as cid's already. Whatever else the
// cookie the browser sent held (the account pages' back link, which is
// checked again where it is used) is kept: New decodes it, and a cookie
// that does not verify gives an empty one.
func (a *app) setClientCookie(c echo.Context, cid string) error {
	s, _ := a.clients.New(c.Request(), clientCookie)
	s.Values[clientIDKey] = cid
	dropSetCookie(c.Response().Header(), clientCookie) // a second setting replaces the first
	if err := s.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	c.Set(newClientKey, cid)
	return nil
}

// dropSetCookie takes back what the response so far sets for the cookie
// name, so that one response sets a cookie once (a request that made a
// client and then signed in, moving to the session's new client).
func dropSetCookie(h http.Header, name string) {
	prefix := name + "="
	kept := slices.DeleteFunc(slices.Clone(h.Values("Set-Cookie")), func(v string) bool { return strings.HasPrefix(v, prefix) })
	if len(kept) == 0 {
		h.Del("Set-Cookie")
		return
	}
	h["Set-Cookie"] = kept
}

// newClientKey holds, in the request's context, the client ID this
// response's __client cookie gives the browser.
const newClientKey = "portal.newClient"

// current returns the browser's live session, or nil. The page rendered
// for the request reads it again (a.page: the impersonation banner)
// without another query.
func (a *app) current(c echo.Context) (*session.Session, error) {
	sess, err := a.Sessions.Current(c.Request().Context(), a.clientID(c))
	if err != nil {
		return nil, err
	}
	c.Set(currentKey, sess)
	return sess, a.keepClient(c, sess)
}

// keepClient gives the browser the client sess is on when its __client
// cookie names another: a reverification moved the session to a new client
// (session.Reverified), or this request is the same browser's second one
// with the old client, which session.Current followed to the new.
func (a *app) keepClient(c echo.Context, sess *session.Session) error {
	if sess == nil || sess.ClientID == a.clientID(c) {
		return nil
	}
	return a.setClientCookie(c, sess.ClientID)
}

// currentKey holds, in the request's context, the session a.current found.
const currentKey = "portal.currentSession"

// handBackSignedIn hands a browser that is signed in already back to
// target, as the sign-in, sign-up and waitlist pages do; done reports that
// it answered.
func (a *app) handBackSignedIn(c echo.Context, target *url.URL) (done bool, err error) {
	sess, err := a.current(c)
	if err != nil || sess == nil {
		return false, err
	}
	return true, a.handBack(c, sess, target)
}

// setSessionCookies hands a fresh token to the relying apps.
func (a *app) setSessionCookies(c echo.Context, tok string, changedAt time.Time) {
	c.SetCookie(a.appCookie(sessionCookie, tok, a.Config.SessionCookieHTTPOnly))
	c.SetCookie(a.appCookie(clientUATCookie, strconv.FormatInt(changedAt.Unix(), 10), false))
}

// clearSessionCookies tells the relying apps the browser is signed out.
func (a *app) clearSessionCookies(c echo.Context) {
	gone := a.appCookie(sessionCookie, "", a.Config.SessionCookieHTTPOnly)
	gone.MaxAge, gone.Expires = -1, time.Unix(0, 0)
	c.SetCookie(gone)
	c.SetCookie(a.appCookie(clientUATCookie, "0", false))
}

func (a *app) appCookie(name, value string, httpOnly bool) *http.Cookie {
	ck := &http.Cookie{Name: name, Value: value, Path: "/", Domain: a.Config.CookieDomain,
		Secure: a.secureCookies(), HttpOnly: httpOnly, SameSite: http.SameSiteLaxMode}
	if name == clientUATCookie {
		ck.MaxAge = int((365 * day).Seconds())
	}
	return ck
}
