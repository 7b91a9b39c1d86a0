package site

import (
	"bytes"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
)

// TestImageSize checks the header reader against the standard library's
// encoders (tests may link them; the served binary does not).
func TestImageSize(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 123, 45))
	img.Set(1, 1, color.White)
	var p, j, g bytes.Buffer
	_ = png.Encode(&p, img)
	_ = jpeg.Encode(&j, img, nil)
	_ = gif.Encode(&g, img, nil)
	// A lossless WebP header (VP8L) for 300x200: 14-bit width-1 and height-1.
	v := uint32(299) | uint32(199)<<14
	webp := append([]byte("RIFF\x00\x00\x00\x00WEBPVP8L\x00\x00\x00\x00\x2f"), byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
	tests := []struct {
		name string
		data []byte
		w, h int
		err  bool
	}{
		{"png", p.Bytes(), 123, 45, false},
		{"jpeg", j.Bytes(), 123, 45, false},
		{"gif", g.Bytes(), 123, 45, false},
		{"webp", webp, 300, 200, false},
		{"text", []byte("not an image at all"), 0, 0, true},
		{"truncated png", p.Bytes()[:20], 0, 0, true},
		{"truncated jpeg", j.Bytes()[:30], 0, 0, true},
	}
	for _, tt := range tests {
		w, h, err := imageSize(tt.data)
		if (err != nil) != tt.err || w != tt.w || h != tt.h {
			t.Errorf("%s: %dx%d, %v; want %dx%d, error %v", tt.name, w, h, err, tt.w, tt.h, tt.err)
		}
	}
}

func FuzzImageSize(f *testing.F) {
	f.Add([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10"))
	f.Add([]byte("\xff\xd8\xff\xc0\x00\x11\x08\x00\x10\x00\x10"))
	f.Fuzz(func(t *testing.T, b []byte) { _, _, _ = imageSize(b) })
}
