package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/clerk/clerk-sdk-go/v2"

	"github.com/portalhq/portal/internal/testutil/portaltest"
)

// clerkConfig points Clerk's Go SDK at the portal with its secret key,
// as a relying app moving from Clerk would (one client per test rather
// than the SDK's global clerk.SetBackend, so tests may run in parallel).
func clerkConfig(p *portaltest.Portal) *clerk.ClientConfig {
	url, key := p.URL+"/v1", p.SecretKey
	return &clerk.ClientConfig{BackendConfig: clerk.BackendConfig{URL: &url, Key: &key}}
}

// apiResponse is a raw Backend API answer.
type apiResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// apiCall sends a Backend API request with the given Authorization header
// ("" for none) and a JSON body when body is not nil (a json.RawMessage
// byte for byte).
func apiCall(t *testing.T, p *portaltest.Portal, method, path, auth string, body any) apiResponse {
	t.Helper()
	var rd io.Reader
	if raw, ok := body.(json.RawMessage); ok { // sent as written, not compacted
		rd = bytes.NewReader(raw)
	} else if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	return apiSend(t, p, method, path, auth, "application/json", rd)
}

// apiSend sends a Backend API request whose body is sent as given, under
// contentType.
func apiSend(t *testing.T, p *portaltest.Portal, method, path, auth, contentType string, body io.Reader) apiResponse {
	t.Helper()
	req, err := http.NewRequest(method, p.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := p.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return apiResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// api calls with the instance's secret key and decodes the answer into out.
func api(t *testing.T, p *portaltest.Portal, method, path string, body, out any) apiResponse {
	t.Helper()
	r := apiCall(t, p, method, path, "Bearer "+p.SecretKey, body)
	if out != nil && r.Status < 300 {
		if err := json.Unmarshal(r.Body, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, r.Body)
		}
	}
	return r
}

// clerkErrors is the Backend API's error body.
type clerkErrors struct {
	Errors []struct {
		Message     string         `json:"message"`
		LongMessage string         `json:"long_message"`
		Code        string         `json:"code"`
		Meta        map[string]any `json:"meta"`
	} `json:"errors"`
}

// wantAPIError checks r is an error of status with code, shaped as Clerk's.
func wantAPIError(t *testing.T, r apiResponse, status int, code string) clerkErrors {
	t.Helper()
	var e clerkErrors
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want exactly application/json", ct)
	}
	if err := json.Unmarshal(r.Body, &e); err != nil || len(e.Errors) != 1 {
		t.Fatalf("error body %s: %v", r.Body, err)
	}
	if got := e.Errors[0]; got.Code != code || got.Message == "" || got.LongMessage == "" || got.Meta == nil {
		t.Errorf("error = %+v, want code %s with message, long_message and meta", got, code)
	}
	return e
}

func boolPtr(b bool) *bool { return &b }

func listPage(limit, offset int64) clerk.ListParams {
	return clerk.ListParams{Limit: &limit, Offset: &offset}
}

func asAPIError(err error, target **clerk.APIErrorResponse) bool { return errors.As(err, target) }
