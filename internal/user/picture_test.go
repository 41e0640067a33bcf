package user

import (
	"testing"
	"time"
)

// REQ-HDR-05: a provider picture stored before pictures were checked on
// arrival (a javascript: URL a person wrote into their provider profile)
// never reaches apps as image_url or an external account's avatar_url; a
// web picture does.
func TestObjectShowsOnlyWebPictures_REQ_HDR_05(t *testing.T) {
	now := time.Now()
	u := User{ID: "user_1", CreatedAt: now, UpdatedAt: now, ExternalAccounts: []ExternalAccount{
		{ID: "eac_1", Provider: "oidc_corp", Subject: "1", AvatarURL: "javascript:alert(document.domain)", CreatedAt: now, UpdatedAt: now},
		{ID: "eac_2", Provider: "github", Subject: "2", AvatarURL: "https://avatars.example/2.png", CreatedAt: now, UpdatedAt: now},
	}}
	o := u.ToObject(now, Abilities{})
	if len(o.ExternalAccounts) != 2 {
		t.Fatalf("%d external accounts", len(o.ExternalAccounts))
	}
	if x := o.ExternalAccounts[0]; x.AvatarURL != "" || x.ImageURL != "" {
		t.Errorf("a javascript: picture is shown: %q %q", x.AvatarURL, x.ImageURL)
	}
	if x := o.ExternalAccounts[1]; x.AvatarURL != "https://avatars.example/2.png" {
		t.Errorf("a web picture is dropped: %q", x.AvatarURL)
	}
	if o.ImageURL != "https://avatars.example/2.png" || !o.HasImage {
		t.Errorf("image_url %q, has_image %v: want the web picture", o.ImageURL, o.HasImage)
	}
}
