package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	svix "github.com/svix/svix-webhooks/go"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/webhook"
)

// hookReceiver is a relying app's webhook handler: it verifies each request
// with Svix's library, as the app would, and keeps what it accepted.
type hookReceiver struct {
	t      *testing.T
	srv    *httptest.Server
	wh     *svix.Webhook
	mu     sync.Mutex
	events []hookEvent
}

type hookEvent struct {
	ID         string          `json:"-"`
	Type       string          `json:"type"`
	Object     string          `json:"object"`
	Timestamp  int64           `json:"timestamp"`
	InstanceID string          `json:"instance_id"`
	Data       json.RawMessage `json:"data"`
}

func newHookReceiver(t *testing.T, secret string) *hookReceiver {
	r := &hookReceiver{}
	r.use(t, secret)
	newHookServer(t, r)
	return r
}

// use makes the receiver verify with secret from now on.
func (r *hookReceiver) use(t *testing.T, secret string) {
	wh, err := svix.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	r.t, r.wh = t, wh
	r.mu.Unlock()
}

// newHookServer serves r and returns its URL.
func newHookServer(t *testing.T, r *hookReceiver) string {
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		wh := r.wh
		r.mu.Unlock()
		if err := wh.Verify(body, req.Header); err != nil {
			t.Errorf("webhook does not verify: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var e hookEvent
		if err := json.Unmarshal(body, &e); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		e.ID = req.Header.Get("svix-id")
		r.mu.Lock()
		r.events = append(r.events, e)
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r.srv.URL + "/hooks"
}

// waitFor returns the first accepted event of type typ about objectID.
func (r *hookReceiver) waitFor(typ string, match func(data map[string]any) bool) hookEvent {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for _, e := range r.events {
			var data map[string]any
			_ = json.Unmarshal(e.Data, &data)
			if e.Type == typ && match(data) {
				r.mu.Unlock()
				return e
			}
		}
		r.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	r.t.Fatalf("no %s webhook arrived", typ)
	return hookEvent{}
}

// A sign-up reaches the app's webhook handler as user.created and
// session.created, verified by Svix's library, with the data shaped as the
// Backend API shapes users and sessions.
func TestSignUpIsDeliveredAsWebhooks(t *testing.T) {
	secret := webhook.NewSecret()
	rcv := newHookReceiver(t, secret)
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{
		"PORTAL_WEBHOOK_URL": rcv.srv.URL + "/clerk", "PORTAL_WEBHOOK_SECRET": secret,
		"PORTAL_WEBHOOK_ALLOW_PRIVATE": "true"}})
	c, _ := verify(t, p, wantHandBack(t, signUp(t, p, newBrowser(t, p), "ada@example.com", appURL), http.StatusSeeOther, appURL))

	created := rcv.waitFor("user.created", func(d map[string]any) bool { return d["id"] == c.Subject })
	var u struct {
		Object         string `json:"object"`
		FirstName      string `json:"first_name"`
		EmailAddresses []struct {
			EmailAddress string `json:"email_address"`
			Verification struct {
				Status string `json:"status"`
			} `json:"verification"`
		} `json:"email_addresses"`
		CreatedAt int64 `json:"created_at"`
	}
	if err := json.Unmarshal(created.Data, &u); err != nil {
		t.Fatal(err)
	}
	if u.Object != "user" || u.FirstName != "Ada" || len(u.EmailAddresses) != 1 ||
		u.EmailAddresses[0].EmailAddress != "ada@example.com" || u.EmailAddresses[0].Verification.Status != "verified" {
		t.Errorf("user.created data = %s", created.Data)
	}
	if created.Object != "event" || created.InstanceID != p.InstanceID || created.Timestamp < u.CreatedAt {
		t.Errorf("envelope = %+v", created)
	}
	sess := rcv.waitFor("session.created", func(d map[string]any) bool { return d["id"] == c.SID })
	var s map[string]any
	_ = json.Unmarshal(sess.Data, &s)
	if s["object"] != "session" || s["user_id"] != c.Subject || s["status"] != "active" {
		t.Errorf("session.created data = %s", sess.Data)
	}
	if sess.ID == created.ID {
		t.Error("two events share a webhook-id")
	}
}

// count returns how many accepted events have the webhook-id msgID.
func (r *hookReceiver) count(msgID string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e.ID == msgID {
			n++
		}
	}
	return n
}

func (r *hookReceiver) waitCount(msgID string, want int) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for r.count(msgID) < want && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := r.count(msgID); got != want {
		r.t.Fatalf("%s accepted %d times, want %d", msgID, got, want)
	}
}

type endpointJSON struct {
	Object         string   `json:"object"`
	ID             string   `json:"id"`
	URL            string   `json:"url"`
	EventTypes     []string `json:"event_types"`
	Disabled       bool     `json:"disabled"`
	DisabledReason *string  `json:"disabled_reason"`
	Secret         string   `json:"secret"`
}

type deliveriesJSON struct {
	Data []struct {
		Object    string `json:"object"`
		MessageID string `json:"message_id"`
		EventType string `json:"event_type"`
		Status    string `json:"status"`
		Attempts  int    `json:"attempts"`
		// A pointer, to tell null (no HTTP answer) from a number.
		LastStatusCode *int   `json:"last_status_code"`
		LastError      string `json:"last_error"`
	} `json:"data"`
	TotalCount int `json:"total_count"`
}

// Webhook endpoints are managed through the Backend API: create (the
// answer carries the secret), deliveries, replay, rotation, update, delete.
func TestWebhookEndpointsThroughTheBackendAPI(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_WEBHOOK_ALLOW_PRIVATE": "true"}})
	var ep endpointJSON
	rcv := &hookReceiver{}
	srvURL := newHookServer(t, rcv)
	if r := api(t, p, http.MethodPost, "/v1/webhooks/endpoints",
		map[string]any{"url": srvURL, "event_types": []string{"user.created"}}, &ep); r.Status != 200 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	if ep.Object != "webhook_endpoint" || ep.URL != srvURL || len(ep.EventTypes) != 1 || ep.Disabled {
		t.Errorf("endpoint = %+v", ep)
	}
	rcv.use(t, ep.Secret)

	var u struct {
		ID string `json:"id"`
	}
	api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@example.com"},
		"skip_password_requirement": true}, &u)
	p.WebhookWorker.Wake()
	created := rcv.waitFor("user.created", func(d map[string]any) bool { return d["id"] == u.ID })

	// The worker records the delivery once the receiver has answered, so
	// the receiver may see the event a moment before the list says so.
	var ds deliveriesJSON
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ds = deliveriesJSON{}
		api(t, p, http.MethodGet, "/v1/webhooks/endpoints/"+ep.ID+"/deliveries", nil, &ds)
		if len(ds.Data) != 1 || ds.Data[0].Status != "pending" || time.Now().After(deadline) {
			break
		}
	}
	if ds.TotalCount != 1 || ds.Data[0].MessageID != created.ID || ds.Data[0].Status != "succeeded" ||
		ds.Data[0].Attempts != 1 || ds.Data[0].Object != "webhook_delivery" {
		t.Errorf("deliveries = %+v", ds)
	}
	if c := ds.Data[0].LastStatusCode; c == nil || *c != http.StatusOK || ds.Data[0].LastError != "" {
		t.Errorf("a delivery the receiver took: last_status_code %v, last_error %q; want 200 and none", c, ds.Data[0].LastError)
	}
	if r := api(t, p, http.MethodPost, "/v1/webhooks/endpoints/"+ep.ID+"/deliveries/"+created.ID+"/replay", nil, nil); r.Status != 200 {
		t.Fatalf("replay: %d %s", r.Status, r.Body)
	}
	rcv.waitCount(created.ID, 2)

	var rotated endpointJSON
	api(t, p, http.MethodPost, "/v1/webhooks/endpoints/"+ep.ID+"/rotate_secret", nil, &rotated)
	if rotated.Secret == "" || rotated.Secret == ep.Secret {
		t.Fatalf("rotated secret %q", rotated.Secret)
	}
	rcv.use(t, rotated.Secret) // the new secret verifies at once
	api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"grace@example.com"},
		"skip_password_requirement": true}, &u)
	p.WebhookWorker.Wake()
	rcv.waitFor("user.created", func(d map[string]any) bool { return d["id"] == u.ID })

	var got endpointJSON
	api(t, p, http.MethodGet, "/v1/webhooks/endpoints/"+ep.ID, nil, &got)
	if got.Secret != "" {
		t.Error("GET of an endpoint shows its secret")
	}
	api(t, p, http.MethodPatch, "/v1/webhooks/endpoints/"+ep.ID, map[string]any{"disabled": true}, &got)
	if !got.Disabled || got.DisabledReason == nil {
		t.Errorf("after disabling: %+v", got)
	}
	wantAPIError(t, api(t, p, http.MethodPatch, "/v1/webhooks/endpoints/"+ep.ID,
		map[string]any{"event_types": []string{"user.nope"}}, nil), http.StatusUnprocessableEntity, "form_param_format_invalid")
	if r := api(t, p, http.MethodDelete, "/v1/webhooks/endpoints/"+ep.ID, nil, nil); r.Status != 200 {
		t.Fatalf("delete: %d", r.Status)
	}
	wantAPIError(t, api(t, p, http.MethodGet, "/v1/webhooks/endpoints/"+ep.ID, nil, nil), http.StatusNotFound, "resource_not_found")
}

// An endpoint's delivery list takes limit from 1 to 250 and refuses
// other values, as every Backend API list refuses a limit out of its
// range, instead of answering 50 in silence; total_count counts every
// delivery, not the page; offset pages past the newest deliveries.
func TestWebhookDeliveriesPage(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_WEBHOOK_ALLOW_PRIVATE": "true"}})
	var ep endpointJSON
	api(t, p, http.MethodPost, "/v1/webhooks/endpoints",
		map[string]any{"url": newHookServer(t, &hookReceiver{}), "event_types": []string{"user.created"}}, &ep)
	for _, email := range []string{"ada@example.com", "grace@example.com", "edsger@example.com"} {
		api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{email},
			"skip_password_requirement": true}, nil)
	}
	path := "/v1/webhooks/endpoints/" + ep.ID + "/deliveries"
	for _, limit := range []string{"-1", "251", "1000"} {
		e := wantAPIError(t, api(t, p, http.MethodGet, path+"?limit="+limit, nil, nil),
			http.StatusUnprocessableEntity, "form_param_format_invalid")
		if e.Errors[0].Meta["param_name"] != "limit" {
			t.Errorf("limit=%s: meta %v", limit, e.Errors[0].Meta)
		}
	}
	var ds deliveriesJSON
	if r := api(t, p, http.MethodGet, path+"?limit=2", nil, &ds); r.Status != http.StatusOK || len(ds.Data) != 2 || ds.TotalCount != 3 {
		t.Errorf("limit=2: %d, %d deliveries, total_count %d; want 2 of 3", r.Status, len(ds.Data), ds.TotalCount)
	}
	var all deliveriesJSON
	if api(t, p, http.MethodGet, path, nil, &all); len(all.Data) != 3 {
		t.Fatalf("the whole list has %d deliveries, want 3", len(all.Data))
	}
	for offset := range 3 {
		var one deliveriesJSON
		r := api(t, p, http.MethodGet, fmt.Sprintf("%s?limit=1&offset=%d", path, offset), nil, &one)
		if r.Status != http.StatusOK || len(one.Data) != 1 || one.Data[0].MessageID != all.Data[offset].MessageID || one.TotalCount != 3 {
			t.Errorf("limit=1&offset=%d: %d %s; want %s of 3", offset, r.Status, r.Body, all.Data[offset].MessageID)
		}
	}
	e := wantAPIError(t, api(t, p, http.MethodGet, path+"?offset=-1", nil, nil),
		http.StatusUnprocessableEntity, "form_param_format_invalid")
	if e.Errors[0].Meta["param_name"] != "offset" {
		t.Errorf("offset=-1: meta %v", e.Errors[0].Meta)
	}
}

// REQ-WH-06: without PORTAL_WEBHOOK_ALLOW_PRIVATE, endpoints on internal
// addresses are refused, with the field named and the setting that allows
// them: a developer whose receiver runs on their own machine learns how to
// reach it, not only that they can't.
func TestWebhookEndpointOnAnInternalAddressIsRefused_REQ_WH_06(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	for _, url := range []string{"http://127.0.0.1:8080/hook", "http://169.254.169.254/", "http://localhost/x"} {
		e := wantAPIError(t, api(t, p, http.MethodPost, "/v1/webhooks/endpoints", map[string]any{"url": url}, nil),
			http.StatusUnprocessableEntity, "form_param_format_invalid")
		if e.Errors[0].Meta["param_name"] != "url" {
			t.Errorf("%s: meta = %v", url, e.Errors[0].Meta)
		}
		if !strings.Contains(e.Errors[0].LongMessage, "PORTAL_WEBHOOK_ALLOW_PRIVATE=true") {
			t.Errorf("%s: long_message %q does not say how to allow it", url, e.Errors[0].LongMessage)
		}
	}
}

// email.created says that an email went out and to whom, never what it
// said: its subject and bodies carry one-time codes and sign-in links,
// which a webhook receiver (and every log and queue it passes through)
// must not be able to use (REQ-OTP-05 keeps them hashed at rest for the
// same reason). The fields are present, as in Clerk's email object, and
// empty; the recipient, the kind (slug) and the status are there.
func TestEmailCreatedWebhookCarriesNoCodeOrLink(t *testing.T) {
	secret := webhook.NewSecret()
	rcv := newHookReceiver(t, secret)
	env := map[string]string{"PORTAL_WEBHOOK_URL": rcv.srv.URL + "/clerk", "PORTAL_WEBHOOK_SECRET": secret,
		"PORTAL_WEBHOOK_ALLOW_PRIVATE": "true"}
	for k, v := range linkEnv {
		env[k] = v
	}
	p := portaltest.Start(t, portaltest.Options{Env: env}) // a real clock, for the delivery worker
	signUp(t, p, newBrowser(t, p), "ada@example.com", "")  // an email with a code
	b := newBrowser(t, p)                                  // then one with a sign-in link
	b.submit(b.get("/sign-in"), signInForm, map[string]string{"identifier": "ada@example.com"})
	link := p.SMTP.WaitFor(t, "ada@example.com", mailWait).Link()

	var code, subjects []string
	for _, m := range p.SMTP.Messages() {
		if c := m.Code(); c != "" {
			code = append(code, c)
		}
		subjects = append(subjects, m.Subject)
	}
	if len(code) != 1 || link == "" || len(subjects) != 2 {
		t.Fatalf("emails: codes %v, link %q, subjects %q; want a code email and a link email", code, link, subjects)
	}
	secrets := []string{code[0], link, tokenOf(t, link)}
	secrets = append(secrets, subjects...)

	slugs := map[string]bool{}
	deadline := time.Now().Add(10 * time.Second)
	for len(slugs) < 2 && time.Now().Before(deadline) {
		rcv.mu.Lock()
		for _, e := range rcv.events {
			var m map[string]any
			if e.Type != "email.created" || json.Unmarshal(e.Data, &m) != nil || slugs[fmt.Sprint(m["slug"])] {
				continue
			}
			slugs[fmt.Sprint(m["slug"])] = true
			for _, s := range secrets {
				if strings.Contains(string(e.Data), s) {
					t.Errorf("email.created %s carries %q", e.Data, s)
				}
			}
			id, _ := m["id"].(string)
			if m["object"] != "email" || !strings.HasPrefix(id, "ema_") || m["to_email_address"] != "ada@example.com" ||
				m["status"] != "delivered" || m["delivered_by_clerk"] != true {
				t.Errorf("email.created data = %s, want object, id, to_email_address, status and delivered_by_clerk", e.Data)
			}
			for _, empty := range []string{"subject", "body", "body_plain"} {
				if v, ok := m[empty]; !ok || v != "" {
					t.Errorf("email.created %s = %v (present %v), want present and empty", empty, v, ok)
				}
			}
		}
		rcv.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	if !slugs["verification_code"] || !slugs["magic_link_sign_in"] {
		t.Errorf("email.created slugs %v, want verification_code and magic_link_sign_in", slugs)
	}
}

// The endpoint list takes limit (1–500, default 500) and offset as the
// other Backend API lists do: a bad value is 422 naming it, not ignored,
// and a page holds limit endpoints while total_count counts them all.
func TestWebhookEndpointsListPages(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_WEBHOOK_ALLOW_PRIVATE": "true"}})
	srvURL := newHookServer(t, &hookReceiver{})
	for i := range 3 {
		if r := api(t, p, http.MethodPost, "/v1/webhooks/endpoints",
			map[string]any{"url": fmt.Sprintf("%s/%d", srvURL, i)}, nil); r.Status != http.StatusOK {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
	}
	const path = "/v1/webhooks/endpoints"
	for _, q := range []struct{ query, param string }{
		{"limit=0x", "limit"}, {"limit=-1", "limit"}, {"limit=501", "limit"}, {"offset=-1", "offset"}, {"offset=a", "offset"},
	} {
		e := wantAPIError(t, api(t, p, http.MethodGet, path+"?"+q.query, nil, nil),
			http.StatusUnprocessableEntity, "form_param_format_invalid")
		if e.Errors[0].Meta["param_name"] != q.param {
			t.Errorf("%s: meta %v, want param_name %s", q.query, e.Errors[0].Meta, q.param)
		}
	}
	type list struct {
		Data       []endpointJSON `json:"data"`
		TotalCount int            `json:"total_count"`
	}
	var all list
	if r := api(t, p, http.MethodGet, path, nil, &all); r.Status != http.StatusOK || len(all.Data) != 3 || all.TotalCount != 3 {
		t.Fatalf("whole list: %d %s; want 3 of 3", r.Status, r.Body)
	}
	var two list
	if api(t, p, http.MethodGet, path+"?limit=2", nil, &two); len(two.Data) != 2 || two.TotalCount != 3 {
		t.Errorf("limit=2: %d endpoints, total_count %d; want 2 of 3", len(two.Data), two.TotalCount)
	}
	for offset := range 4 {
		var one list
		api(t, p, http.MethodGet, fmt.Sprintf("%s?limit=1&offset=%d", path, offset), nil, &one)
		want := 1
		if offset == 3 {
			want = 0
		}
		if len(one.Data) != want || one.TotalCount != 3 || want == 1 && one.Data[0].ID != all.Data[offset].ID {
			t.Errorf("limit=1&offset=%d: %+v; want %d of 3 in the whole list's order", offset, one, want)
		}
	}
}

// REQ-WH-02 through the Backend API: each endpoint gets a secret of its
// own, whsec_ and the base64 of 24 to 64 random bytes; a secret supplied
// on creation is taken only in that form (too short, too long, without the
// prefix or not base64 is refused and creates nothing), and none can be
// set afterwards, only rotated.
func TestWebhookSecretsPerEndpoint_REQ_WH_02(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_WEBHOOK_ALLOW_PRIVATE": "true"}})
	srvURL := newHookServer(t, &hookReceiver{})
	create := func(secret *string) (*endpointJSON, int) {
		t.Helper()
		body := map[string]any{"url": srvURL}
		if secret != nil {
			body["secret"] = *secret
		}
		var ep endpointJSON
		r := api(t, p, http.MethodPost, "/v1/webhooks/endpoints", body, &ep)
		return &ep, r.Status
	}
	secretBytes := func(s string) int {
		raw, ok := strings.CutPrefix(s, "whsec_")
		key, err := base64.StdEncoding.DecodeString(raw)
		if !ok || err != nil {
			return -1
		}
		return len(key)
	}

	seen := map[string]bool{}
	for range 3 {
		ep, status := create(nil)
		if status != http.StatusOK {
			t.Fatalf("create: %d", status)
		}
		if n := secretBytes(ep.Secret); n < 24 || n > 64 {
			t.Errorf("generated secret %q: %d bytes, want whsec_ and 24 to 64", ep.Secret, n)
		}
		if seen[ep.Secret] {
			t.Errorf("secret %q given to two endpoints", ep.Secret)
		}
		seen[ep.Secret] = true
	}

	random := func(n int) []byte {
		b := make([]byte, n)
		if _, err := rand.Read(b); err != nil {
			t.Fatal(err)
		}
		return b
	}
	for what, s := range map[string]string{
		"16 bytes":        "whsec_" + base64.StdEncoding.EncodeToString(random(16)),
		"65 bytes":        "whsec_" + base64.StdEncoding.EncodeToString(random(65)),
		"no prefix":       base64.StdEncoding.EncodeToString(random(32)),
		"not base64":      "whsec_" + strings.Repeat("!", 44),
		"a password":      "whsec_correct horse battery staple",
		"the prefix only": "whsec_",
	} {
		if _, status := create(&s); status < 400 || status >= 500 {
			t.Errorf("a supplied secret of %s: %d, want a 4xx", what, status)
		}
	}
	var list struct {
		TotalCount int `json:"total_count"`
	}
	if api(t, p, http.MethodGet, "/v1/webhooks/endpoints", nil, &list); list.TotalCount != 3 {
		t.Errorf("%d endpoints after the refusals, want 3", list.TotalCount)
	}

	good := "whsec_" + base64.StdEncoding.EncodeToString(random(24))
	ep, status := create(&good)
	if status != http.StatusOK || ep.Secret != good {
		t.Fatalf("a supplied secret of 24 bytes: %d, secret %q", status, ep.Secret)
	}
	other := "whsec_" + base64.StdEncoding.EncodeToString(random(32))
	if r := api(t, p, http.MethodPatch, "/v1/webhooks/endpoints/"+ep.ID, map[string]any{"secret": other}, nil); r.Status < 400 || r.Status >= 500 {
		t.Errorf("setting a secret on an existing endpoint: %d, want a 4xx", r.Status)
	}
	var got struct {
		Secret string `json:"secret"`
	}
	if api(t, p, http.MethodGet, "/v1/webhooks/endpoints/"+ep.ID+"/secret", nil, &got); got.Secret != good {
		t.Errorf("after the refused PATCH the secret is %q, want %q", got.Secret, good)
	}
}

// A delivery that got no HTTP answer (the endpoint refused the connection)
// lists last_status_code as null and says why in last_error: a 0 there
// would read as a status.
func TestDeliveryWithNoAnswerHasNoStatusCode(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{Env: map[string]string{"PORTAL_WEBHOOK_ALLOW_PRIVATE": "true"}})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/hooks"
	l.Close() // nothing listens there now: each attempt is refused
	var ep endpointJSON
	if r := api(t, p, http.MethodPost, "/v1/webhooks/endpoints", map[string]any{"url": closed}, &ep); r.Status != 200 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	api(t, p, http.MethodPost, "/v1/users", map[string]any{"email_address": []string{"ada@example.com"},
		"skip_password_requirement": true}, nil)
	p.WebhookWorker.Wake()
	var ds deliveriesJSON
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ds = deliveriesJSON{}
		api(t, p, http.MethodGet, "/v1/webhooks/endpoints/"+ep.ID+"/deliveries", nil, &ds)
		if (len(ds.Data) > 0 && ds.Data[0].Attempts > 0) || time.Now().After(deadline) {
			break
		}
	}
	if len(ds.Data) == 0 || ds.Data[0].Attempts == 0 {
		t.Fatalf("no attempt listed: %+v", ds)
	}
	d := ds.Data[0]
	if d.LastStatusCode != nil {
		t.Errorf("last_status_code = %d after a refused connection, want null", *d.LastStatusCode)
	}
	if d.LastError == "" || d.Status == "succeeded" {
		t.Errorf("status %q, last_error %q: want the attempt failed with its cause", d.Status, d.LastError)
	}
}
