package page

import (
	"testing"

	"github.com/portalhq/portal/internal/apperr"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		limit, offset, want int
		field               string
	}{
		{0, 0, 10, ""}, {1, 5, 1, ""}, {500, 0, 500, ""},
		{-1, 0, 0, "limit"}, {501, 0, 0, "limit"}, {10, -1, 0, "offset"},
	} {
		limit, offset := tc.limit, tc.offset
		err := Check(&limit, &offset, 10, 500)
		e, _ := apperr.As(err)
		switch {
		case tc.field == "" && (err != nil || limit != tc.want):
			t.Errorf("Check(%d, %d) = %d, %v; want %d", tc.limit, tc.offset, limit, err, tc.want)
		case tc.field != "" && (e == nil || e.Field != tc.field || e.Code != apperr.Invalid):
			t.Errorf("Check(%d, %d) = %v; want invalid %s", tc.limit, tc.offset, err, tc.field)
		}
	}
}
