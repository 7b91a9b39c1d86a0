package main

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"io"
	"io/fs"
	"path"
	"slices"
	"testing/fstest"

	"multistage/internal/shotmeta"
)

// withPlaceholders returns src plus a 1x1 PNG for every screenshot in
// shotmeta.Shots that src lacks. The pages show the screenshots, and
// site.Build rejects a page whose image is missing, so a first run (or a
// run after a screenshot was deleted) could not build the site that the
// screenshot is taken from. The placeholders never appear in a capture:
// the captured elements are code figures and the size chart.
func withPlaceholders(src fs.FS) (fs.FS, error) {
	var img bytes.Buffer
	if err := png.Encode(&img, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		return nil, err
	}
	extra := fstest.MapFS{}
	for _, s := range shotmeta.Shots {
		name := path.Join(shotmeta.Dir, s.Name)
		if _, err := fs.Stat(src, name); errors.Is(err, fs.ErrNotExist) {
			extra[name] = &fstest.MapFile{Data: img.Bytes(), Mode: 0o644}
		}
	}
	if len(extra) == 0 {
		return src, nil
	}
	return union{src, extra}, nil
}

// union reads from a, and from b what a does not have; directories list
// the entries of both.
type union struct {
	a fs.FS
	b fstest.MapFS
}

func (u union) Open(name string) (fs.File, error) {
	f, err := u.a.Open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return u.b.Open(name)
	}
	if err != nil {
		return nil, err
	}
	// A directory that b has too lists both.
	if st, err := f.Stat(); err == nil && st.IsDir() {
		if bst, err := fs.Stat(u.b, name); err == nil && bst.IsDir() {
			ents, err := u.ReadDir(name)
			if err != nil {
				f.Close()
				return nil, err
			}
			return &dir{File: f, ents: ents}, nil
		}
	}
	return f, nil
}

// dir is a directory of a, listing the entries of a and b.
type dir struct {
	fs.File
	ents []fs.DirEntry
}

func (d *dir) ReadDir(n int) ([]fs.DirEntry, error) {
	if n <= 0 {
		ents := d.ents
		d.ents = nil
		return ents, nil
	}
	if len(d.ents) == 0 {
		return nil, io.EOF
	}
	n = min(n, len(d.ents))
	ents := d.ents[:n]
	d.ents = d.ents[n:]
	return ents, nil
}

func (u union) ReadDir(name string) ([]fs.DirEntry, error) {
	ea, errA := fs.ReadDir(u.a, name)
	eb, errB := fs.ReadDir(u.b, name)
	if errA != nil && !errors.Is(errA, fs.ErrNotExist) {
		return nil, errA
	}
	if errA != nil && errB != nil {
		return nil, errA
	}
	out := slices.Clone(ea)
	for _, e := range eb {
		if !slices.ContainsFunc(ea, func(x fs.DirEntry) bool { return x.Name() == e.Name() }) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(x, y fs.DirEntry) int {
		switch {
		case x.Name() < y.Name():
			return -1
		case x.Name() > y.Name():
			return 1
		}
		return 0
	})
	return out, nil
}
