// Package page checks the limit and offset of a Backend API list the same
// way for every list.
package page

import (
	"fmt"

	"github.com/portalhq/portal/internal/apperr"
)

// Check sets a zero *limit to def, and refuses a limit outside 1..max or a
// negative offset, naming the parameter.
func Check(limit, offset *int, def, max int) error {
	switch {
	case *limit == 0:
		*limit = def
	case *limit < 1 || *limit > max:
		return apperr.Field(apperr.Invalid, "limit", fmt.Sprintf("limit must be between 1 and %d.", max))
	}
	if *offset < 0 {
		return apperr.Field(apperr.Invalid, "offset", "offset can't be negative.")
	}
	return nil
}
