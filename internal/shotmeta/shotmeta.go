// Package shotmeta records what a screenshot was made from, inside the PNG
// itself, so that a stale screenshot can be found without a browser.
//
// Every PNG under screenshots/ that tools/shots makes carries tEXt chunks:
//
//	multistage:source   SourceHash of the file(s) it depicts, e.g. "sha256:ab12…"
//	multistage:files    those files' names, space separated, e.g. "Dockerfile"
//	multistage:theme    SourceHash of the site theme it was rendered with (informational)
//	multistage:browser  the browser that captured it (informational)
//
// Check compares the first against the current files. Only the sources
// decide staleness: a theme tweak does not make every screenshot fail the
// tests, while an edited Dockerfile does.
//
// The chunk code uses the standard library only (hash/crc32); it never
// decodes pixels, so a rewritten PNG shows exactly the pixels it was given.
package shotmeta

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Keys of the tEXt chunks written by tools/shots.
const (
	KeySource  = "multistage:source"
	KeyFiles   = "multistage:files"
	KeyTheme   = "multistage:theme"
	KeyBrowser = "multistage:browser"
)

// Dir is the folder, relative to the source root, that holds the screenshots.
const Dir = "screenshots"

// RefreshCommand is what a developer runs to bring screenshots up to date.
const RefreshCommand = "go run ./tools/shots"

// Shot is one screenshot and the source files it depicts.
type Shot struct {
	Name    string   // file name under Dir, e.g. "dockerfile-multistage.png"
	Sources []string // slash paths from the source root, hashed in this order
}

// Shots lists every screenshot tools/shots makes.
var Shots = []Shot{
	{Name: "dockerfile-normal.png", Sources: []string{"Dockerfile.normal"}},
	{Name: "dockerfile-multistage.png", Sources: []string{"Dockerfile"}},
	{Name: "size-difference.png", Sources: []string{"content/sizes.json"}},
}

// SourceHash names the content of files as "sha256:<hex>". For one file it
// is the SHA-256 of its bytes, so it matches `sha256sum FILE`. For several,
// it is the SHA-256 of their hashes in hex, one per line, so that moving
// bytes from one file to the next still changes it.
func SourceHash(files ...[]byte) string {
	if len(files) == 1 {
		sum := sha256.Sum256(files[0])
		return "sha256:" + hex.EncodeToString(sum[:])
	}
	h := sha256.New()
	for _, f := range files {
		sum := sha256.Sum256(f)
		fmt.Fprintf(h, "%x\n", sum)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Problem is a screenshot that does not show its current sources.
type Problem struct {
	Shot   string // path of the screenshot, e.g. "screenshots/dockerfile-normal.png"
	Reason string
}

func (p Problem) Error() string { return p.Shot + ": " + p.Reason }

// Check reports every screenshot in Shots that is stale against the files
// in fsys (a source root). A screenshot is stale when the source hash it
// records differs from its files' current hash, when it records none, or
// when its sources are gone. A missing screenshot is reported only when all
// its sources exist (without content/sizes.json there is no size chart to
// capture). The error is for failures to read, not for staleness.
func Check(fsys fs.FS) ([]Problem, error) {
	var probs []Problem
	for _, s := range Shots {
		name := path.Join(Dir, s.Name)
		want, missing, err := hashSources(fsys, s.Sources)
		if err != nil {
			return nil, err
		}
		png, err := fs.ReadFile(fsys, name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if len(missing) == 0 {
				probs = append(probs, Problem{name, "missing; it shows " + strings.Join(s.Sources, ", ")})
			}
			continue
		case err != nil:
			return nil, err
		}
		if len(missing) > 0 {
			probs = append(probs, Problem{name, "its source " + strings.Join(missing, ", ") + " no longer exists"})
			continue
		}
		got := ReadText(png)[KeySource]
		switch got {
		case want:
		case "":
			probs = append(probs, Problem{name, "records no " + KeySource + " (not made by tools/shots)"})
		default:
			probs = append(probs, Problem{name, fmt.Sprintf("stale: made from %s %s, now %s",
				strings.Join(s.Sources, ", "), short(got), short(want))})
		}
	}
	return probs, nil
}

// Sources reads the files a shot depicts and returns their SourceHash.
func Sources(fsys fs.FS, s Shot) (string, error) {
	h, missing, err := hashSources(fsys, s.Sources)
	if err != nil {
		return "", err
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("%s: %w", strings.Join(missing, ", "), fs.ErrNotExist)
	}
	return h, nil
}

func hashSources(fsys fs.FS, names []string) (hash string, missing []string, err error) {
	var files [][]byte
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, n)
			continue
		}
		if err != nil {
			return "", nil, err
		}
		files = append(files, b)
	}
	if len(missing) > 0 {
		return "", missing, nil
	}
	return SourceHash(files...), nil, nil
}

// short abbreviates a "sha256:<hex>" for messages.
func short(h string) string {
	if len(h) > len("sha256:")+12 {
		return h[:len("sha256:")+12]
	}
	return h
}

var pngSig = []byte("\x89PNG\r\n\x1a\n")

type chunk struct {
	typ  string
	data []byte
}

// chunks splits a PNG into its chunks, checking the signature, the lengths
// and every CRC, and that IEND comes last.
func chunks(png []byte) ([]chunk, error) {
	if !bytes.HasPrefix(png, pngSig) {
		return nil, errors.New("png: bad signature")
	}
	var cs []chunk
	b := png[len(pngSig):]
	for len(b) > 0 {
		if len(b) < 12 {
			return nil, errors.New("png: truncated chunk")
		}
		n := binary.BigEndian.Uint32(b[:4])
		if n > 1<<31-1 || uint64(n) > uint64(len(b)-12) {
			return nil, errors.New("png: chunk length out of range")
		}
		typ, data := b[4:8], b[8:8+n]
		crc := binary.BigEndian.Uint32(b[8+n : 12+n])
		if crc32.Update(crc32.ChecksumIEEE(typ), crc32.IEEETable, data) != crc {
			return nil, fmt.Errorf("png: bad CRC in %q chunk", typ)
		}
		cs = append(cs, chunk{string(typ), data})
		b = b[12+n:]
		if string(typ) == "IEND" {
			if len(b) > 0 {
				return nil, errors.New("png: data after IEND")
			}
			return cs, nil
		}
	}
	return nil, errors.New("png: no IEND chunk")
}

// ReadText returns the PNG's tEXt chunks as keyword → text (Latin-1 decoded).
// It returns an empty map for data that is not a well-formed PNG, since a
// screenshot that cannot be read records nothing. When a keyword repeats, the
// first chunk wins.
func ReadText(png []byte) map[string]string {
	kv := map[string]string{}
	cs, err := chunks(png)
	if err != nil {
		return kv
	}
	for _, c := range cs {
		if c.typ != "tEXt" {
			continue
		}
		k, v, ok := bytes.Cut(c.data, []byte{0})
		if !ok {
			continue
		}
		key := latin1(k)
		if _, dup := kv[key]; !dup {
			kv[key] = latin1(v)
		}
	}
	return kv
}

// WithText returns a copy of png with one tEXt chunk per key of kv, sorted by
// key and placed just before IEND. Existing tEXt chunks with those keywords
// are dropped, so rewriting is idempotent; every other chunk is kept byte for
// byte. Keywords must be 1–79 printable Latin-1 characters without leading,
// trailing or double spaces, and texts Latin-1 without NUL (the PNG rules).
func WithText(png []byte, kv map[string]string) ([]byte, error) {
	cs, err := chunks(png)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var add []chunk
	for _, k := range keys {
		kb, err := keyword(k)
		if err != nil {
			return nil, err
		}
		vb, err := toLatin1(kv[k])
		if err != nil {
			return nil, fmt.Errorf("png: text for %q: %w", k, err)
		}
		if bytes.IndexByte(vb, 0) >= 0 {
			return nil, fmt.Errorf("png: text for %q contains NUL", k)
		}
		add = append(add, chunk{"tEXt", append(append(kb, 0), vb...)})
	}
	out := bytes.NewBuffer(make([]byte, 0, len(png)+64*len(add)))
	out.Write(pngSig)
	for _, c := range cs {
		if c.typ == "tEXt" {
			if k, _, ok := bytes.Cut(c.data, []byte{0}); ok {
				if _, replaced := kv[latin1(k)]; replaced {
					continue
				}
			}
		}
		if c.typ == "IEND" {
			for _, a := range add {
				writeChunk(out, a)
			}
		}
		writeChunk(out, c)
	}
	return out.Bytes(), nil
}

func writeChunk(w *bytes.Buffer, c chunk) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(c.data)))
	w.Write(n[:])
	w.WriteString(c.typ)
	w.Write(c.data)
	crc := crc32.Update(crc32.ChecksumIEEE([]byte(c.typ)), crc32.IEEETable, c.data)
	binary.BigEndian.PutUint32(n[:], crc)
	w.Write(n[:])
}

// keyword validates a tEXt keyword and encodes it as Latin-1.
func keyword(k string) ([]byte, error) {
	b, err := toLatin1(k)
	switch {
	case err != nil:
		return nil, fmt.Errorf("png: keyword %q: %w", k, err)
	case len(b) < 1 || len(b) > 79:
		return nil, fmt.Errorf("png: keyword %q must be 1 to 79 characters", k)
	case b[0] == ' ' || b[len(b)-1] == ' ' || bytes.Contains(b, []byte("  ")):
		return nil, fmt.Errorf("png: keyword %q has leading, trailing or double spaces", k)
	}
	for _, c := range b {
		if c < 32 || (c > 126 && c < 161) {
			return nil, fmt.Errorf("png: keyword %q has a non-printable character", k)
		}
	}
	return b, nil
}

// PNG text is Latin-1, not UTF-8: convert rune by rune.
func toLatin1(s string) ([]byte, error) {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return nil, fmt.Errorf("%q is not Latin-1", r)
		}
		b = append(b, byte(r))
	}
	return b, nil
}

func latin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}
