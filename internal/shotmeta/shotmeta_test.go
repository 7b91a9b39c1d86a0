package shotmeta

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

// tiny returns a real 3x2 PNG encoded by image/png.
func tiny(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	img.Set(1, 1, color.NRGBA{R: 200, G: 10, B: 30, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWithTextRoundTrip(t *testing.T) {
	base := tiny(t)
	tests := []struct {
		name  string
		first map[string]string // applied before kv, to test replacement
		kv    map[string]string
		want  map[string]string
	}{
		{"none", nil, map[string]string{}, map[string]string{}},
		{"one", nil, map[string]string{KeySource: "sha256:00ff"}, map[string]string{KeySource: "sha256:00ff"}},
		{"several", nil,
			map[string]string{KeySource: "sha256:1", KeyTheme: "sha256:2", KeyBrowser: "Chromium 1.2"},
			map[string]string{KeySource: "sha256:1", KeyTheme: "sha256:2", KeyBrowser: "Chromium 1.2"}},
		{"empty text", nil, map[string]string{"Comment": ""}, map[string]string{"Comment": ""}},
		{"latin-1", nil, map[string]string{"Author": "Zoë Müller"}, map[string]string{"Author": "Zoë Müller"}},
		{"replaces same key", map[string]string{KeySource: "old", "Keep": "me"},
			map[string]string{KeySource: "new"}, map[string]string{KeySource: "new", "Keep": "me"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base
			if tt.first != nil {
				var err error
				if in, err = WithText(in, tt.first); err != nil {
					t.Fatal(err)
				}
			}
			out, err := WithText(in, tt.kv)
			if err != nil {
				t.Fatal(err)
			}
			if got := ReadText(out); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ReadText = %v, want %v", got, tt.want)
			}
			// Still a valid PNG with the same pixels, and IEND last.
			img, err := png.Decode(bytes.NewReader(out))
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if c := color.NRGBAModel.Convert(img.At(1, 1)).(color.NRGBA); c.R != 200 || c.B != 30 {
				t.Errorf("pixel changed: %v", c)
			}
			if !bytes.HasSuffix(out, []byte("IEND\xae\x42\x60\x82")) {
				t.Errorf("IEND is not the last chunk")
			}
			// Idempotent: writing the same text again changes nothing.
			again, err := WithText(out, tt.kv)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, out) {
				t.Errorf("rewriting the same text changed the bytes")
			}
		})
	}
}

func TestWithTextErrors(t *testing.T) {
	base := tiny(t)
	badCRC := bytes.Clone(base)
	badCRC[len(pngSig)+8+13] ^= 1 // the IHDR CRC
	tests := []struct {
		name string
		png  []byte
		kv   map[string]string
		want string
	}{
		{"not png", []byte("GIF89a"), nil, "signature"},
		{"truncated", base[:len(base)-6], nil, "truncated"},
		{"bad crc", badCRC, nil, "CRC"},
		{"no iend", base[:len(base)-12], nil, "IEND"},
		{"trailing data", append(bytes.Clone(base), 0), nil, "after IEND"},
		{"empty key", base, map[string]string{"": "x"}, "1 to 79"},
		{"long key", base, map[string]string{strings.Repeat("k", 80): "x"}, "1 to 79"},
		{"key spaces", base, map[string]string{" k": "x"}, "spaces"},
		{"key control", base, map[string]string{"a\tb": "x"}, "non-printable"},
		{"key not latin-1", base, map[string]string{"ключ": "x"}, "Latin-1"},
		{"text not latin-1", base, map[string]string{"k": "日本"}, "Latin-1"},
		{"text nul", base, map[string]string{"k": "a\x00b"}, "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := WithText(tt.png, tt.kv)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestReadTextMalformed(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("x"), tiny(t)[:20]} {
		if got := ReadText(b); len(got) != 0 {
			t.Errorf("ReadText(%q) = %v, want empty", b, got)
		}
	}
}

func TestSourceHash(t *testing.T) {
	hexOf := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }
	a, b := []byte("FROM scratch\n"), []byte("{}")
	tests := []struct {
		name  string
		files [][]byte
		want  string
	}{
		{"one file is sha256sum", [][]byte{a}, "sha256:" + hexOf(a)},
		{"empty file", [][]byte{{}}, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"two files", [][]byte{a, b}, "sha256:" + hexOf([]byte(hexOf(a)+"\n"+hexOf(b)+"\n"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := SourceHash(tt.files...); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
	// Moving a byte across the file boundary changes the hash.
	if SourceHash([]byte("ab"), []byte("c")) == SourceHash([]byte("a"), []byte("bc")) {
		t.Error("hash ignores file boundaries")
	}
}

func TestCheck(t *testing.T) {
	df, dfn, sizes := []byte("FROM scratch\n"), []byte("FROM golang:1.26\n"), []byte(`{"images":[]}`)
	shot := func(src ...[]byte) *fstest.MapFile {
		b, err := WithText(tiny(t), map[string]string{KeySource: SourceHash(src...)})
		if err != nil {
			t.Fatal(err)
		}
		return &fstest.MapFile{Data: b}
	}
	fresh := fstest.MapFS{
		"Dockerfile":                            {Data: df},
		"Dockerfile.normal":                     {Data: dfn},
		"screenshots/dockerfile-multistage.png": shot(df),
		"screenshots/dockerfile-normal.png":     shot(dfn),
	}
	with := func(m fstest.MapFS, kv ...any) fstest.MapFS {
		c := fstest.MapFS{}
		for k, v := range m {
			c[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(c, kv[i].(string))
			} else {
				c[kv[i].(string)] = kv[i+1].(*fstest.MapFile)
			}
		}
		return c
	}
	tests := []struct {
		name string
		fsys fstest.MapFS
		want []string // "shot: reason substring"
	}{
		{"fresh, no sizes", fresh, nil},
		{"fresh with sizes", with(fresh, "content/sizes.json", &fstest.MapFile{Data: sizes},
			"screenshots/size-difference.png", shot(sizes)), nil},
		{"dockerfile edited", with(fresh, "Dockerfile", &fstest.MapFile{Data: []byte("FROM scratch\nUSER 1\n")}),
			[]string{"screenshots/dockerfile-multistage.png: stale"}},
		{"sizes measured, no shot yet", with(fresh, "content/sizes.json", &fstest.MapFile{Data: sizes}),
			[]string{"screenshots/size-difference.png: missing"}},
		{"sizes gone", with(fresh, "screenshots/size-difference.png", shot(sizes)),
			[]string{"screenshots/size-difference.png: its source content/sizes.json no longer exists"}},
		{"hand-made png", with(fresh, "screenshots/dockerfile-normal.png", &fstest.MapFile{Data: tiny(t)}),
			[]string{"screenshots/dockerfile-normal.png: records no"}},
		{"swapped", with(fresh, "screenshots/dockerfile-normal.png", shot(df), "screenshots/dockerfile-multistage.png", shot(dfn)),
			[]string{"screenshots/dockerfile-normal.png: stale", "screenshots/dockerfile-multistage.png: stale"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probs, err := Check(tt.fsys)
			if err != nil {
				t.Fatal(err)
			}
			if len(probs) != len(tt.want) {
				t.Fatalf("got %v, want %d problems %q", probs, len(tt.want), tt.want)
			}
			for i, p := range probs {
				if !strings.HasPrefix(p.Error(), tt.want[i]) {
					t.Errorf("problem %d = %q, want prefix %q", i, p.Error(), tt.want[i])
				}
			}
		})
	}
}
