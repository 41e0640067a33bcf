package e2e

import (
	"image/color"
	"net/http"
	"testing"

	"github.com/portalhq/portal/internal/testutil/portaltest"
	"github.com/portalhq/portal/internal/testutil/webptest"
)

// An animated WebP (what phones and editors export for a moving picture)
// chosen as a profile image or an organization's logo is refused next to
// its field with a message that says why — it is animated — and what to
// choose instead, in the page's language; the typed organization name
// stays.
func TestAnimatedWebPIsRefusedSayingSo(t *testing.T) {
	p := portaltest.Start(t, portaltest.Options{})
	ada := signedUp(t, p, "ada@example.com")
	anim := webptest.Animated(64, 64, color.NRGBA{B: 255, A: 255})
	const msg = "Animated WebP images can't be used. Choose a still image: PNG, JPEG, GIF or WebP."

	ada.b.get("/user")
	pg := ada.b.upload("/user/profile-image", "wave.webp", anim)
	if pg.Status != http.StatusUnprocessableEntity || messageFor(pg, "image") != msg {
		t.Errorf("profile image: %d, message %q; want 422 %q", pg.Status, messageFor(pg, "image"), msg)
	}

	ada.b.get("/create-organization")
	pg = ada.b.postMultipart("/create-organization", map[string]string{"name": "Acme"}, "logo", "wave.webp", anim)
	if pg.Status != http.StatusUnprocessableEntity || messageFor(pg, "logo") != msg {
		t.Errorf("organization logo: %d, message %q; want 422 %q", pg.Status, messageFor(pg, "logo"), msg)
	}
	if v, _ := pg.Doc.Find(`input[name="name"]`).Attr("value"); v != "Acme" {
		t.Errorf("the typed name was lost: %q", v)
	}

	ada.b.get("/user?locale=fr")
	pg = ada.b.upload("/user/profile-image", "wave.webp", anim)
	if want := "Les images WebP animées ne peuvent pas être utilisées. Choisissez une image fixe\u00a0: PNG, JPEG, GIF ou WebP."; messageFor(pg, "image") != want {
		t.Errorf("in French: %q, want %q", messageFor(pg, "image"), want)
	}
}
