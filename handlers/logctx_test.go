package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// A line logged with a request's context names the request, once; one
// logged outside any request, or naming its own, is left as it is.
func TestLogRequestIDs(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(LogRequestIDs(slog.NewJSONHandler(&buf, nil))).With("component", "test")
	ctx := context.WithValue(context.Background(), requestIDKey, "rid123")

	log.InfoContext(ctx, "deep in a flow", "user_id", "user_1")
	log.InfoContext(ctx, "names its own", "request_id", "other")
	log.InfoContext(context.Background(), "no request")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("log:\n%s", buf.String())
	}
	for i, want := range []any{"rid123", "other", nil} {
		var m map[string]any
		if err := json.Unmarshal([]byte(lines[i]), &m); err != nil {
			t.Fatal(err)
		}
		if m["request_id"] != want || m["component"] != "test" {
			t.Errorf("line %d: %s, want request_id %v", i, lines[i], want)
		}
		if n := strings.Count(lines[i], `"request_id"`); n > 1 {
			t.Errorf("line %d names the request %d times: %s", i, n, lines[i])
		}
	}
}
