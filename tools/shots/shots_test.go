package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"slices"
	"testing"
	"testing/fstest"

	"multistage/internal/shotmeta"
)

// textLike draws a background with anti-aliased "ink" in a few colours:
// what a screenshot of code looks like to the encoder.
func textLike(inks int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	bg := color.NRGBA{246, 248, 250, 255}
	for y := 0; y < 64; y++ {
		for x := 0; x < 64; x++ {
			img.SetNRGBA(x, y, bg)
			ink := color.NRGBA{uint8(40 * (y % inks)), 30, uint8(200 - 40*(y%inks)), 255}
			a := float64(x%8) / 7 // a blend ramp, as at glyph edges
			img.SetNRGBA(x, y, color.NRGBA{
				uint8(float64(ink.R)*a + float64(bg.R)*(1-a)),
				uint8(float64(ink.G)*a + float64(bg.G)*(1-a)),
				uint8(float64(ink.B)*a + float64(bg.B)*(1-a)), 255})
		}
	}
	img.SetNRGBA(0, 0, color.NRGBA{}) // a transparent corner
	return img
}

func TestEncode(t *testing.T) {
	tests := []struct {
		name      string
		img       image.Image
		paletted  bool
		maxChange int
	}{
		{"few colours: exact palette", textLike(2), true, 0},
		{"text-like: reduced", textLike(5), true, maxError},
		{"noise: full colour", noise(), false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := encode(tt.img)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := encode(tt.img)
			if !bytes.Equal(b, again) {
				t.Error("not deterministic")
			}
			got, err := png.Decode(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := got.(*image.Paletted); ok != tt.paletted {
				t.Errorf("paletted = %v, want %v", ok, tt.paletted)
			}
			worst := 0
			r := tt.img.Bounds()
			for y := r.Min.Y; y < r.Max.Y; y++ {
				for x := r.Min.X; x < r.Max.X; x++ {
					a := color.NRGBAModel.Convert(tt.img.At(x, y)).(color.NRGBA)
					g := color.NRGBAModel.Convert(got.At(x, y)).(color.NRGBA)
					if a.A == 0 && g.A == 0 {
						continue
					}
					worst = max(worst, maxChannelDiff(a, g))
				}
			}
			if worst > tt.maxChange {
				t.Errorf("a pixel changed by %d, want at most %d", worst, tt.maxChange)
			}
		})
	}
}

func noise() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 40, 40))
	s := uint32(1)
	for i := range img.Pix {
		s = s*1664525 + 1013904223
		img.Pix[i] = uint8(s >> 24)
	}
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	return img
}

func TestPlaceholders(t *testing.T) {
	src := fstest.MapFS{
		"content/index.md":                  {Data: []byte("# x\n")},
		"screenshots/dockerfile-normal.png": {Data: []byte("real")},
		"screenshots/other.png":             {Data: []byte("other")},
	}
	u, err := withPlaceholders(src)
	if err != nil {
		t.Fatal(err)
	}
	ents, err := fs.ReadDir(u, "screenshots")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	var want []string
	for _, s := range shotmeta.Shots {
		want = append(want, s.Name)
	}
	want = append(want, "other.png")
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("screenshots/ lists %v, want %v", names, want)
	}
	if b, _ := fs.ReadFile(u, "screenshots/dockerfile-normal.png"); string(b) != "real" {
		t.Errorf("an existing screenshot was replaced: %q", b)
	}
	b, err := fs.ReadFile(u, "screenshots/dockerfile-multistage.png")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.DecodeConfig(bytes.NewReader(b)); err != nil {
		t.Errorf("placeholder is not a PNG: %v", err)
	}
	if err := fstest.TestFS(u, "content/index.md", "screenshots/size-difference.png"); err != nil {
		t.Error(err)
	}

	// Without a screenshots folder at all, it appears.
	u, err = withPlaceholders(fstest.MapFS{"content/index.md": {Data: []byte("# x\n")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat(u, "screenshots/dockerfile-normal.png"); err != nil {
		t.Error(err)
	}
	if ents, _ := fs.ReadDir(u, "."); len(ents) != 2 {
		t.Errorf("root lists %d entries, want content and screenshots", len(ents))
	}
}

func TestTargetsMatchShots(t *testing.T) {
	var a, b []string
	for _, tg := range targets {
		a = append(a, tg.name)
	}
	for _, s := range shotmeta.Shots {
		b = append(b, s.Name)
	}
	slices.Sort(a)
	slices.Sort(b)
	if !slices.Equal(a, b) {
		t.Errorf("targets %v, shotmeta.Shots %v", a, b)
	}
}
