package avatar

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/portalhq/portal/internal/testutil/webptest"
)

var (
	red   = color.NRGBA{R: 255, A: 255}
	green = color.NRGBA{G: 255, A: 255}
	blue  = color.NRGBA{B: 255, A: 255}
)

// stripes is 400×200: red, then green in the middle half, then blue. Its
// centred square is all green.
func stripes() image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, 400, 200))
	for x := range 400 {
		c := green
		switch {
		case x < 100:
			c = red
		case x >= 300:
			c = blue
		}
		for y := range 200 {
			img.Set(x, y, c)
		}
	}
	return img
}

func encoded(t *testing.T, enc func(*bytes.Buffer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := enc(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// hugePNG is a valid PNG header declaring a canvas far too large to decode.
func hugePNG(t *testing.T) []byte {
	small := encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, image.NewGray(image.Rect(0, 0, 1, 1))) })
	ihdr := small[8+8 : 8+8+13] // after the signature and the chunk's length and type
	binary.BigEndian.PutUint32(ihdr[0:], 50_000)
	binary.BigEndian.PutUint32(ihdr[4:], 50_000)
	binary.BigEndian.PutUint32(small[8+8+13:], crc32.ChecksumIEEE(small[8+4:8+8+13]))
	return small
}

func TestPNGFromEveryAcceptedFormat(t *testing.T) {
	r := NewResizer(2)
	cases := map[string]struct {
		data []byte
		want color.NRGBA
	}{
		"png":  {encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, stripes()) }), green},
		"jpeg": {encoded(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, stripes(), &jpeg.Options{Quality: 95}) }), green},
		"gif":  {encoded(t, func(b *bytes.Buffer) error { return gif.Encode(b, stripes(), nil) }), green},
		"webp": {webptest.Solid(300, 500, blue), blue},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := r.PNG(t.Context(), bytes.NewReader(c.data))
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("the result is not a PNG: %v", err)
			}
			if b := img.Bounds(); b.Dx() != Size || b.Dy() != Size {
				t.Fatalf("size %v, want %d×%d", b, Size, Size)
			}
			// The centred square is kept: its corners are the middle colour.
			for _, p := range []image.Point{{0, 0}, {Size - 1, Size - 1}, {Size / 2, Size / 2}} {
				got := color.NRGBAModel.Convert(img.At(p.X, p.Y)).(color.NRGBA)
				if !near(got, c.want) {
					t.Errorf("pixel %v = %v, want about %v", p, got, c.want)
				}
			}
		})
	}
}

func near(a, b color.NRGBA) bool {
	d := func(x, y uint8) bool { return x-y < 24 || y-x < 24 }
	return d(a.R, b.R) && d(a.G, b.G) && d(a.B, b.B) && d(a.A, b.A)
}

func TestRefusals(t *testing.T) {
	r := NewResizer(1)
	big := append(encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, stripes()) }), make([]byte, MaxUpload)...)
	bmp := append([]byte("BM"), make([]byte, 64)...)
	cases := map[string]struct {
		data []byte
		want error
	}{
		"text":               {[]byte("<svg xmlns='http://www.w3.org/2000/svg'></svg>"), ErrNotImage},
		"empty":              {nil, ErrNotImage},
		"bmp":                {bmp, ErrNotImage},
		"truncated png":      {encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, stripes()) })[:100], ErrNotImage},
		"over 5 MiB":         {big, ErrTooLarge},
		"decompression bomb": {hugePNG(t), ErrTooBig},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := r.PNG(t.Context(), bytes.NewReader(c.data))
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), "image") && !strings.Contains(err.Error(), "Choose") {
				t.Errorf("message %q does not say what to do", err)
			}
		})
	}
}

// A logo keeps the whole picture: scaled down to fit, in proportion, or
// left at its size when it fits already.
func TestFitPNGKeepsTheWholePicture(t *testing.T) {
	r := NewResizer(1)
	small := image.NewNRGBA(image.Rect(0, 0, 40, 10))
	for x := range 40 {
		for y := range 10 {
			small.Set(x, y, red)
		}
	}
	cases := map[string]struct {
		data          []byte
		width, height int
		corners       [2]color.NRGBA // left and right edge, half way down
	}{
		"wide png":  {encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, stripes()) }), Size, Size / 2, [2]color.NRGBA{red, blue}},
		"wide jpeg": {encoded(t, func(b *bytes.Buffer) error { return jpeg.Encode(b, stripes(), &jpeg.Options{Quality: 95}) }), Size, Size / 2, [2]color.NRGBA{red, blue}},
		"tall webp": {webptest.Solid(300, 500, blue), Size * 300 / 500, Size, [2]color.NRGBA{blue, blue}},
		"small gif": {encoded(t, func(b *bytes.Buffer) error { return gif.Encode(b, small, nil) }), 40, 10, [2]color.NRGBA{red, red}},
		"small png": {encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, small) }), 40, 10, [2]color.NRGBA{red, red}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := r.FitPNG(t.Context(), c.data)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("the result is not a PNG: %v", err)
			}
			if b := img.Bounds(); b.Dx() != c.width || b.Dy() != c.height {
				t.Fatalf("size %v, want %d×%d", b, c.width, c.height)
			}
			mid := img.Bounds().Dy() / 2
			for i, x := range []int{0, img.Bounds().Dx() - 1} {
				got := color.NRGBAModel.Convert(img.At(x, mid)).(color.NRGBA)
				if !near(got, c.corners[i]) {
					t.Errorf("pixel (%d,%d) = %v, want about %v", x, mid, got, c.corners[i])
				}
			}
		})
	}
	for name, c := range map[string]struct {
		data []byte
		want error
	}{
		"svg":                {[]byte("<svg xmlns='http://www.w3.org/2000/svg'></svg>"), ErrNotImage},
		"truncated png":      {encoded(t, func(b *bytes.Buffer) error { return png.Encode(b, stripes()) })[:100], ErrNotImage},
		"decompression bomb": {hugePNG(t), ErrTooBig},
		"over 5 MiB":         {make([]byte, MaxUpload+1), ErrTooLarge},
	} {
		if _, err := r.FitPNG(t.Context(), c.data); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", name, err, c.want)
		}
	}
}

// An animated WebP, which the decoder reads the size of but not the
// pictures, is refused with its own message rather than "isn't an image";
// other unreadable files keep that one.
func TestAnimatedWebPIsRefusedAsAnimated(t *testing.T) {
	r := NewResizer(1)
	anim := webptest.Animated(40, 30, blue)
	if cfg, format, err := image.DecodeConfig(bytes.NewReader(anim)); err != nil || format != "webp" || cfg.Width != 40 || cfg.Height != 30 {
		t.Fatalf("the animated WebP's header: %+v %q %v, want a 40×30 webp", cfg, format, err)
	}
	for name, fn := range map[string]func([]byte) ([]byte, error){
		"PNG":    func(b []byte) ([]byte, error) { return r.PNG(t.Context(), bytes.NewReader(b)) },
		"FitPNG": func(b []byte) ([]byte, error) { return r.FitPNG(t.Context(), b) },
	} {
		if _, err := fn(anim); !errors.Is(err, ErrAnimated) {
			t.Errorf("%s of an animated WebP: %v, want ErrAnimated", name, err)
		}
		broken := append([]byte(nil), anim...)
		broken[20] = 0 // no animation flag: a broken still image
		if _, err := fn(broken); !errors.Is(err, ErrNotImage) {
			t.Errorf("%s of a broken WebP: %v, want ErrNotImage", name, err)
		}
	}
}
