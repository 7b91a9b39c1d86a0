package live

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"multistage/site"
	"multistage/site/markdown"
)

// ReloadEvent is the data of a "reload" event, sent after each rebuild that
// changed what the site serves (and after the first good build that follows
// a failed one, so that pages drop their error overlay).
//
//	{"path":"/usage/","pages":["/usage/"]}             one page changed: pages showing it reload
//	{"path":"*","pages":["/a/","/b/"]}                  a few pages changed
//	{"path":"*","pages":[...],"all":true}               the theme, script or every page changed: all reload
//	{"path":"*","pages":[],"css":"assets/site.H.css"}   stylesheet only: pages swap it without a reload
//	{"path":"/usage/","pages":[],"assets":["screenshots/x.png"]}   an image: pages showing it reload
//
// Page paths are URL paths below the site root ("/" is the index); asset
// paths are relative to the root, so a page resolves them against the
// root it knows, whatever sub-path or port the site is reached under.
type ReloadEvent struct {
	Path   string   `json:"path"`
	Pages  []string `json:"pages"`
	All    bool     `json:"all,omitempty"`
	CSS    string   `json:"css,omitempty"`
	Assets []string `json:"assets,omitempty"`
	Files  []string `json:"files,omitempty"` // the changed sources
	Gen    uint64   `json:"gen"`             // the rebuild's number (set by Hub.Reload)
	Ms     float64  `json:"ms"`              // build time
}

// Empty reports whether nothing a page shows changed.
func (e *ReloadEvent) Empty() bool {
	return len(e.Pages) == 0 && !e.All && e.CSS == "" && len(e.Assets) == 0
}

// Diff tells what changed from old to new. Entries a rebuild reused are the
// same pointers and cost nothing to compare.
func Diff(old, new *site.Site) *ReloadEvent {
	ev := &ReloadEvent{Path: "*", Pages: []string{}}
	if old == nil {
		ev.All = true
		return ev
	}
	pages := map[string]bool{}
	for _, p := range new.Pages {
		pages[p.URL] = true
	}
	for _, p := range old.Pages {
		pages[p.URL] = true
	}
	oldCSS, newCSS := asset(old, "/assets/site.", ".css"), asset(new, "/assets/site.", ".css")
	if oldCSS != newCSS {
		ev.CSS = strings.TrimPrefix(newCSS, "/")
	}
	if asset(old, "/assets/site.", ".js") != asset(new, "/assets/site.", ".js") ||
		asset(old, "/assets/live.", ".js") != asset(new, "/assets/live.", ".js") ||
		asset(old, "/assets/favicon.", ".svg") != asset(new, "/assets/favicon.", ".svg") {
		ev.All = true
	}
	seen := map[string]bool{}
	check := func(p string, oe, ne *site.Entry) {
		if seen[p] || oe == ne {
			return
		}
		seen[p] = true
		if oe != nil && ne != nil && bytes.Equal(oe.Body, ne.Body) {
			return
		}
		switch {
		case pages[p]:
			// Pages name the stylesheet: a page that differs only by that
			// name needs no reload, the stylesheet swap does it.
			if ev.CSS != "" && oe != nil && ne != nil && oldCSS != "" &&
				bytes.Equal(bytes.ReplaceAll(oe.Body, []byte(oldCSS[1:]), []byte(newCSS[1:])), ne.Body) {
				return
			}
			ev.Pages = append(ev.Pages, p)
		case strings.HasPrefix(p, "/assets/") || p == "/404.html":
			// Content-hashed assets change names; handled above.
		default:
			ev.Assets = append(ev.Assets, strings.TrimPrefix(p, "/"))
		}
	}
	for _, p := range new.Paths() {
		check(p, old.Entry(p), new.Entry(p))
	}
	for _, p := range old.Paths() {
		check(p, old.Entry(p), new.Entry(p))
	}
	sort.Strings(ev.Pages)
	sort.Strings(ev.Assets)
	if len(ev.Pages) == 1 {
		ev.Path = ev.Pages[0]
	}
	if len(new.Pages) > 1 && len(ev.Pages) >= len(new.Pages) {
		ev.All = true
	}
	return ev
}

func asset(s *site.Site, prefix, suffix string) string {
	ps := s.Paths()
	i := sort.SearchStrings(ps, prefix)
	for ; i < len(ps) && strings.HasPrefix(ps[i], prefix); i++ {
		if strings.HasSuffix(ps[i], suffix) {
			return ps[i]
		}
	}
	return ""
}

// ErrorEvent is the data of an "error" event: the build failed, the last
// good site is still served, and pages show an overlay until the next reload.
// File, Line and Context repeat the first problem's, for clients that show
// one.
type ErrorEvent struct {
	Message string        `json:"message"`
	File    string        `json:"file,omitempty"`
	Line    int           `json:"line,omitempty"`
	Context []ContextLine `json:"context,omitempty"`
	Errors  []ErrorItem   `json:"errors"`
}

// ErrorItem is one problem, with the source lines around it.
type ErrorItem struct {
	File    string        `json:"file,omitempty"`
	Line    int           `json:"line,omitempty"`
	Msg     string        `json:"msg"`
	Context []ContextLine `json:"context,omitempty"`
}

// ContextLine is a numbered source line; At marks the line at fault.
type ContextLine struct {
	N    int    `json:"n"`
	Text string `json:"text"`
	At   bool   `json:"at,omitempty"`
}

const (
	maxErrors    = 20
	contextLines = 3
)

// templateLine finds "template: page.html:12:" in html/template's errors.
var templateLine = regexp.MustCompile(`template: ([\w.-]+\.html):(\d+):`)

// NewErrorEvent describes a build error. Source lines are read from the
// first of fss that has the file (the source, then the theme).
func NewErrorEvent(err error, fss ...fs.FS) *ErrorEvent {
	ev := &ErrorEvent{Message: err.Error(), Errors: []ErrorItem{}}
	var items []ErrorItem
	var es markdown.Errors
	if errors.As(err, &es) {
		for _, e := range es {
			items = append(items, ErrorItem{File: e.File, Line: e.Line, Msg: e.Msg})
		}
	} else {
		it := ErrorItem{Msg: err.Error()}
		if m := templateLine.FindStringSubmatch(err.Error()); m != nil {
			it.File = "templates/" + m[1]
			it.Line, _ = strconv.Atoi(m[2])
		}
		items = append(items, it)
	}
	if len(items) > maxErrors {
		items = items[:maxErrors]
	}
	for i := range items {
		it := &items[i]
		if it.File != "" && it.Line > 0 {
			it.Context = sourceContext(it.File, it.Line, fss)
		}
	}
	ev.Errors = items
	if len(items) > 0 {
		ev.File, ev.Line, ev.Context = items[0].File, items[0].Line, items[0].Context
	}
	return ev
}

func sourceContext(file string, line int, fss []fs.FS) []ContextLine {
	for _, fsys := range fss {
		if fsys == nil {
			continue
		}
		name := path.Clean(file)
		if !fs.ValidPath(name) {
			continue
		}
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			continue
		}
		var out []ContextLine
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for n := 1; sc.Scan(); n++ {
			if n < line-contextLines {
				continue
			}
			if n > line+contextLines {
				break
			}
			text := sc.Text()
			if len(text) > 300 {
				text = text[:300] + "…"
			}
			out = append(out, ContextLine{N: n, Text: text, At: n == line})
		}
		return out
	}
	return nil
}
