// Package webptest writes small WebP files for tests, bit by bit: no WebP
// encoder is needed to check how uploads of them are handled.
package webptest

import (
	"encoding/binary"
	"image/color"
)

// Solid is a lossless WebP (VP8L) of one colour, w×h: every prefix code
// has a single symbol, so the pixels take no bits at all.
func Solid(w, h int, c color.NRGBA) []byte {
	var bits []bool
	put := func(v uint32, n int) {
		for i := range n {
			bits = append(bits, v>>i&1 == 1)
		}
	}
	put(uint32(w-1), 14)
	put(uint32(h-1), 14)
	put(1, 1) // alpha used
	put(0, 3) // version
	put(0, 1) // no transform
	put(0, 1) // no colour cache
	put(0, 1) // no meta prefix codes
	for _, sym := range []uint8{c.G, c.R, c.B, c.A} {
		put(1, 1) // simple code
		put(0, 1) // one symbol
		put(1, 1) // eight bits
		put(uint32(sym), 8)
	}
	put(1, 1) // distance code: simple, one one-bit symbol, 0
	put(0, 1)
	put(0, 1)
	put(0, 1)
	data := []byte{0x2f}
	for i := 0; i < len(bits); i += 8 {
		var b byte
		for j := 0; j < 8 && i+j < len(bits); j++ {
			if bits[i+j] {
				b |= 1 << j
			}
		}
		data = append(data, b)
	}
	return riff(chunk("VP8L", data))
}

// Animated is an animated WebP (the extended format: VP8X with its
// animation flag, ANIM, and one ANMF frame holding Solid's picture), as
// phones and editors export them; Go's WebP decoder reads its size but
// not its pictures.
func Animated(w, h int, c color.NRGBA) []byte {
	frame := Solid(w, h, c)[12:] // its VP8L chunk
	three := func(v int) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16)} }
	vp8x := append([]byte{0x02, 0, 0, 0}, append(three(w-1), three(h-1)...)...) // flags: animation
	anim := []byte{0, 0, 0, 0, 0, 0}                                            // background colour, loop forever
	anmf := append(append(append(three(0), three(0)...), append(three(w-1), three(h-1)...)...), append(three(100), 0)...)
	return riff(append(append(chunk("VP8X", vp8x), chunk("ANIM", anim)...), chunk("ANMF", append(anmf, frame...))...))
}

func chunk(fourCC string, data []byte) []byte {
	out := append([]byte(fourCC), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
	out = append(out, data...)
	if len(data)%2 == 1 {
		out = append(out, 0)
	}
	return out
}

func riff(chunks []byte) []byte {
	out := append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(4+len(chunks)))...)
	return append(append(out, "WEBP"...), chunks...)
}
