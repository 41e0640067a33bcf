package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// waitHeader marks static/wait.js asking whether a waiting page (an email
// link not yet opened) should reload. The answer has no side effect: the
// reload that follows does the work, as a person's reload would.
const waitHeader = "X-Portal-Wait"

func isWaitProbe(c echo.Context) bool { return c.Request().Header.Get(waitHeader) == "1" }

// answerWaitProbe says 204 while the page would show the same, 205 (reset
// the view) once it would not.
func answerWaitProbe(c echo.Context, waiting bool) error {
	if waiting {
		return c.NoContent(http.StatusNoContent)
	}
	return c.NoContent(http.StatusResetContent)
}
