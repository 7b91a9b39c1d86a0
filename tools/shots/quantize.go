package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"slices"
)

// Palette reduction may change no pixel by more than maxError per channel
// (out of 255), and no more than maxChanged percent of the pixels at all;
// beyond that the capture keeps full colour. Captures of code change about
// 1.5 % of their pixels (glyph edges), by 30 at most.
const (
	maxError   = 48
	maxChanged = 5
)

// encode writes img as a PNG at best compression. A screenshot of code is a
// few ink colours over two backgrounds plus their anti-aliased blends, some
// two thousand colours in all; when 256 of them can stand for the rest with
// no pixel moving more than maxError, it is written with that palette, which
// makes the file about a third as big and looks the same. Everything here is
// deterministic: the same pixels give the same bytes.
func encode(img image.Image) ([]byte, error) {
	out := img
	if p, ok := reduce(img); ok {
		out = p
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type colorCount struct {
	c    color.NRGBA
	n    int
	dist int // squared distance to the nearest palette colour so far
}

// reduce maps img onto a palette of at most 256 of its own colours, chosen
// greedily by pixel count times distance to the palette so far: the
// backgrounds first, then each ink colour, then the blends that cover the
// most pixels. It reports false when no such palette is close enough.
func reduce(img image.Image) (*image.Paletted, bool) {
	b := img.Bounds()
	counts := map[color.NRGBA]int{}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			counts[color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)]++
		}
	}
	all := make([]*colorCount, 0, len(counts))
	for c, n := range counts {
		all = append(all, &colorCount{c: c, n: n, dist: 1 << 30})
	}
	// A fixed order, so that ties resolve the same way every run.
	slices.SortFunc(all, func(a, b *colorCount) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return int(pack(a.c)) - int(pack(b.c))
	})
	var pal color.Palette
	for len(pal) < 256 {
		var next *colorCount
		for _, k := range all {
			if k.dist > 0 && (next == nil || k.n*k.dist > next.n*next.dist) {
				next = k
			}
		}
		if next == nil {
			break // every colour is in the palette
		}
		pal = append(pal, next.c)
		for _, k := range all {
			k.dist = min(k.dist, dist(k.c, next.c))
		}
	}
	index := make(map[color.NRGBA]uint8, len(all))
	changed := 0
	for _, k := range all {
		best, bestD := 0, 1<<30
		for i, c := range pal {
			if d := dist(k.c, c.(color.NRGBA)); d < bestD {
				best, bestD = i, d
			}
		}
		if d := maxChannelDiff(k.c, pal[best].(color.NRGBA)); d > maxError {
			return nil, false
		} else if d > 0 {
			changed += k.n
		}
		index[k.c] = uint8(best)
	}
	if changed > b.Dx()*b.Dy()*maxChanged/100 {
		return nil, false
	}
	p := image.NewPaletted(b, pal)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			p.SetColorIndex(x, y, index[color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)])
		}
	}
	return p, true
}

func pack(c color.NRGBA) uint32 {
	return uint32(c.R)<<24 | uint32(c.G)<<16 | uint32(c.B)<<8 | uint32(c.A)
}

func dist(a, b color.NRGBA) int {
	dr, dg, db, da := int(a.R)-int(b.R), int(a.G)-int(b.G), int(a.B)-int(b.B), int(a.A)-int(b.A)
	return dr*dr + dg*dg + db*db + da*da
}

func maxChannelDiff(a, b color.NRGBA) int {
	abs := func(v int) int {
		if v < 0 {
			return -v
		}
		return v
	}
	return max(abs(int(a.R)-int(b.R)), abs(int(a.G)-int(b.G)), abs(int(a.B)-int(b.B)), abs(int(a.A)-int(b.A)))
}
