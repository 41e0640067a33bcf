// Package avatar turns an uploaded picture into a profile image (a
// 256×256 square) or an organization's logo (the whole picture within
// 256×256): a PNG the portal encoded itself, so that nothing of the upload
// but its pixels is ever served (no metadata, no polyglot files).
package avatar

import (
	"bytes"
	"context"
	"image"
	_ "image/gif" // decoders for image.DecodeConfig and image.Decode
	_ "image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"

	"github.com/portalhq/portal/internal/apperr"
)

const (
	// MaxUpload is the largest file accepted, in bytes.
	MaxUpload = 5 << 20
	// Size is the side of the square image the portal keeps.
	Size = 256
	// maxPixels bounds the memory one decode takes: a small file can
	// declare a huge canvas (a decompression bomb).
	maxPixels = 24_000_000
	maxSide   = 10_000
)

// formats are the decoders an upload may use, whatever else is registered.
var formats = map[string]bool{"png": true, "jpeg": true, "gif": true, "webp": true}

// Errors a person sees next to the upload field.
var (
	ErrNotImage = apperr.Field(apperr.Invalid, "image",
		"This file isn't an image we can use. Choose a PNG, JPEG, GIF or WebP image.").T("account.error.image_not_image")
	ErrTooLarge = apperr.Field(apperr.Invalid, "image", "This image is larger than 5 MB. Choose a smaller one.").T("account.error.image_too_large")
	// ErrAnimated refuses an animated WebP, which the decoder cannot read
	// (an animated GIF gives its first frame instead).
	ErrAnimated = apperr.Field(apperr.Invalid, "image",
		"Animated WebP images can't be used. Choose a still image: PNG, JPEG, GIF or WebP.").T("account.error.image_animated")
	ErrTooBig = apperr.Field(apperr.Invalid, "image",
		"This image has too many pixels. Choose one under 10,000 pixels on each side.").T("account.error.image_too_big")
	errBusy = apperr.New(apperr.Unavailable, "Too many images are being processed right now. Please try again in a moment.").T("account.error.image_busy")
)

// Resizer makes profile images, a few at a time: decoding holds the whole
// picture in memory.
type Resizer struct{ slots chan struct{} }

// NewResizer allows n images to be processed at once (at least 1).
func NewResizer(n int) *Resizer {
	return &Resizer{slots: make(chan struct{}, max(n, 1))}
}

// PNG reads an upload and returns the profile image: the centred square of
// the picture, scaled to Size×Size, as PNG.
func (r *Resizer) PNG(ctx context.Context, src io.Reader) ([]byte, error) {
	raw, err := io.ReadAll(io.LimitReader(src, MaxUpload+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > MaxUpload {
		return nil, ErrTooLarge
	}
	return r.encode(ctx, raw, square)
}

// FitPNG returns the whole of the picture in raw (at most MaxUpload
// bytes), scaled down to fit Size×Size and never enlarged, as PNG: for a
// logo, which a square crop would cut.
func (r *Resizer) FitPNG(ctx context.Context, raw []byte) ([]byte, error) {
	if len(raw) > MaxUpload {
		return nil, ErrTooLarge
	}
	return r.encode(ctx, raw, fit)
}

// encode decodes raw, bounded in pixels and in decodes at once, and
// encodes shape of it as PNG.
func (r *Resizer) encode(ctx context.Context, raw []byte, shape func(image.Image) image.Image) ([]byte, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil || !formats[format] {
		return nil, ErrNotImage
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxSide || cfg.Height > maxSide ||
		cfg.Width*cfg.Height > maxPixels {
		return nil, ErrTooBig
	}
	select {
	case r.slots <- struct{}{}:
		defer func() { <-r.slots }()
	case <-ctx.Done():
		return nil, errBusy
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		if format == "webp" && AnimatedWebP(raw) {
			return nil, ErrAnimated
		}
		return nil, ErrNotImage
	}
	var out bytes.Buffer
	if err := png.Encode(&out, shape(img)); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// AnimatedWebP reports whether raw is an extended WebP (a VP8X chunk
// first) whose animation flag is set: RIFF, size, WEBP, VP8X, the chunk's
// size, then its flags, bit 1 of which is animation. Go's WebP decoder
// reads such a file's size but not its pictures.
func AnimatedWebP(raw []byte) bool {
	return len(raw) > 20 && string(raw[0:4]) == "RIFF" && string(raw[8:16]) == "WEBPVP8X" && raw[20]&0x02 != 0
}

// square crops the centre of img and scales it to Size×Size.
func square(img image.Image) image.Image {
	b := img.Bounds()
	side := min(b.Dx(), b.Dy())
	x0, y0 := b.Min.X+(b.Dx()-side)/2, b.Min.Y+(b.Dy()-side)/2
	dst := image.NewNRGBA(image.Rect(0, 0, Size, Size))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, image.Rect(x0, y0, x0+side, y0+side), draw.Src, nil)
	return dst
}

// fit scales img down to fit Size×Size, keeping its proportions; a picture
// that already fits keeps its size.
func fit(img image.Image) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= Size && h <= Size {
		dst := image.NewNRGBA(image.Rect(0, 0, w, h))
		draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
		return dst
	}
	if w >= h {
		w, h = Size, max(1, h*Size/w)
	} else {
		w, h = max(1, w*Size/h), Size
	}
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	return dst
}
