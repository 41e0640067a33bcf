package twiliotest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portalhq/portal/internal/testutil/twiliotest"
)

const (
	sid   = "AC0123456789abcdef0123456789abcdef"
	token = "secret-token"
)

type answer struct {
	status int
	body   map[string]any
}

func post(t *testing.T, srv *twiliotest.Server, method, path, user, pass, contentType string, form url.Values) answer {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL()+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var a answer
	a.status = resp.StatusCode
	if err := json.NewDecoder(resp.Body).Decode(&a.body); err != nil {
		t.Fatal(err)
	}
	return a
}

const (
	path = "/2010-04-01/Accounts/" + sid + "/Messages.json"
	form = "application/x-www-form-urlencoded"
)

func TestAcceptsAndRecords(t *testing.T) {
	srv := twiliotest.Start(t, sid, token)
	a := post(t, srv, "POST", path, sid, token, form+"; charset=utf-8",
		url.Values{"To": {"+14155550100"}, "From": {"+15005550006"}, "Body": {"Your code is 123456"}})
	if a.status != 201 {
		t.Fatalf("status %d: %v", a.status, a.body)
	}
	msgSID, _ := a.body["sid"].(string)
	if len(msgSID) != 34 || !strings.HasPrefix(msgSID, "SM") ||
		a.body["status"] != "queued" || a.body["to"] != "+14155550100" || a.body["from"] != "+15005550006" ||
		a.body["body"] != "Your code is 123456" || a.body["account_sid"] != sid ||
		a.body["direction"] != "outbound-api" || a.body["num_segments"] != "1" ||
		a.body["uri"] != "/2010-04-01/Accounts/"+sid+"/Messages/"+msgSID+".json" {
		t.Errorf("resource %v", a.body)
	}
	if _, err := time.Parse(time.RFC1123Z, a.body["date_created"].(string)); err != nil {
		t.Errorf("date_created: %v", err)
	}
	m := srv.WaitFor(t, "+14155550100", time.Second)
	want := twiliotest.Message{SID: msgSID, To: "+14155550100", From: "+15005550006", Body: "Your code is 123456"}
	if m != want || m.Code() != "123456" {
		t.Errorf("recorded %+v", m)
	}
}

func TestRejectsLikeTwilio(t *testing.T) {
	ok := url.Values{"To": {"+14155550100"}, "From": {"+15005550006"}, "Body": {"hi"}}
	without := func(k string) url.Values {
		v := url.Values{}
		for key, val := range ok {
			if key != k {
				v[key] = val
			}
		}
		return v
	}
	with := func(k, val string) url.Values {
		v := without(k)
		v.Set(k, val)
		return v
	}
	tests := []struct {
		name, method, path, user, pass, contentType string
		form                                        url.Values
		status, code                                int
	}{
		{"wrong token", "POST", path, sid, "nope", form, ok, 401, 20003},
		{"wrong account", "POST", path, "AC" + strings.Repeat("f", 32), token, form, ok, 401, 20003},
		{"no credentials", "POST", path, "", "", form, ok, 401, 20003},
		{"other account's path", "POST", "/2010-04-01/Accounts/AC" + strings.Repeat("0", 32) + "/Messages.json", sid, token, form, ok, 404, 20404},
		{"old API path", "POST", "/2008-08-01/Accounts/" + sid + "/SMS/Messages", sid, token, form, ok, 404, 20404},
		{"GET", "GET", path, sid, token, "", nil, 405, 20004},
		{"JSON body", "POST", path, sid, token, "application/json", ok, 400, 21604},
		{"no To", "POST", path, sid, token, form, without("To"), 400, 21604},
		{"no From", "POST", path, sid, token, form, without("From"), 400, 21603},
		{"no Body", "POST", path, sid, token, form, without("Body"), 400, 21602},
		{"To not E.164", "POST", path, sid, token, form, with("To", "415 555 0100"), 400, 21211},
		{"Body too long", "POST", path, sid, token, form, with("Body", strings.Repeat("x", 1601)), 400, 21617},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := twiliotest.Start(t, sid, token)
			a := post(t, srv, tt.method, tt.path, tt.user, tt.pass, tt.contentType, tt.form)
			if a.status != tt.status || a.body["code"] != float64(tt.code) || a.body["status"] != float64(tt.status) ||
				a.body["message"] == "" || !strings.HasSuffix(a.body["more_info"].(string), "/errors/"+itoa(tt.code)) {
				t.Errorf("got %d %v, want %d with code %d", a.status, a.body, tt.status, tt.code)
			}
			if n := len(srv.Messages()); n != 0 {
				t.Errorf("recorded %d messages", n)
			}
		})
	}
}

func TestFailNextQueues(t *testing.T) {
	srv := twiliotest.Start(t, sid, token)
	srv.FailNext(400, 21211, "The 'To' number +14155550100 is not a valid phone number.")
	srv.FailNext(503, 0, "Service Unavailable")
	v := url.Values{"To": {"+14155550100"}, "From": {"+15005550006"}, "Body": {"hi"}}

	if a := post(t, srv, "POST", path, sid, token, form, v); a.status != 400 || a.body["code"] != float64(21211) ||
		a.body["more_info"] != "https://www.twilio.com/docs/errors/21211" {
		t.Errorf("first: %d %v", a.status, a.body)
	}
	if a := post(t, srv, "POST", path, sid, token, form, v); a.status != 503 || a.body["message"] != "Service Unavailable" {
		t.Errorf("second: %d %v", a.status, a.body)
	}
	if a := post(t, srv, "POST", path, sid, token, form, v); a.status != 201 {
		t.Errorf("third: %d %v", a.status, a.body)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("recorded %d messages, want 1", n)
	}
}

func TestWaitForReturnsNewestUnseen(t *testing.T) {
	srv := twiliotest.Start(t, sid, token)
	send := func(to, body string) {
		v := url.Values{"To": {to}, "From": {"+15005550006"}, "Body": {body}}
		if a := post(t, srv, "POST", path, sid, token, form, v); a.status != 201 {
			t.Fatalf("%d %v", a.status, a.body)
		}
	}
	send("+14155550100", "code 111111")
	send("+14155550100", "code 222222")
	send("+447400123456", "code 333333")
	if got := srv.WaitFor(t, "+14155550100", time.Second).Code(); got != "222222" {
		t.Errorf("first WaitFor: %s", got)
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		send("+14155550100", "code 444444")
	}()
	if got := srv.WaitFor(t, " +14155550100 ", 2*time.Second).Code(); got != "444444" {
		t.Errorf("second WaitFor: %s", got)
	}
	if got := srv.WaitFor(t, "+447400123456", time.Second).Code(); got != "333333" {
		t.Errorf("other number: %s", got)
	}
	if n := len(srv.Messages()); n != 4 {
		t.Errorf("%d messages", n)
	}
}

func TestCode(t *testing.T) {
	for body, want := range map[string]string{
		"Your code is 123456.":      "123456",
		"123456 is your code":       "123456",
		"Call 1234567, code 654321": "654321",
		"No code here: 12345":       "",
	} {
		if got := (twiliotest.Message{Body: body}).Code(); got != want {
			t.Errorf("Code(%q) = %q, want %q", body, got, want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
