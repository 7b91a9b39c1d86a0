package site

import (
	"bytes"
	"fmt"
	"io/fs"
	"math"
	"strconv"
	"strings"

	"multistage/internal/sizes"
)

// sizesView is what the "sizes" template draws: a table, a bar chart drawn
// here as inline SVG (no script), the ratio in words and the provenance.
type sizesView struct {
	R        *sizes.Report
	Rows     []sizesRow
	Bars     []sizesBar
	Ratio    string // "73 times"
	Binary   string
	Overhead string // how much of the multistage image is not the binary
	Chart    struct{ Width, Height int }
}

type sizesRow struct {
	Name, Dockerfile, Size, Layers, Cold, Warm string
	Bytes                                      int64
	History                                    []sizesLayer
}

type sizesLayer struct {
	CreatedBy, Size string
	Base            bool
}

type sizesBar struct {
	Name, Label, Class string
	Y, W, TextX        int
}

// loadSizes reads content/sizes.json once per build; nil when absent.
func (b *builder) loadSizes() (*sizes.Report, error) {
	b.sizesOnce.Do(func() {
		data, err := fs.ReadFile(b.src, "content/sizes.json")
		if err != nil {
			if !isNotExist(err) {
				b.sizesErr = err
			}
			return
		}
		b.sizesReport, b.sizesErr = sizes.Load(data)
	})
	return b.sizesReport, b.sizesErr
}

// sizes renders the measured image sizes, or says plainly that they have
// not been measured.
func (b *builder) sizes(buf *bytes.Buffer, data *pageData) error {
	r, err := b.loadSizes()
	if err != nil {
		return fmt.Errorf("content/sizes.json: %v", strings.TrimPrefix(err.Error(), "sizes.json: "))
	}
	if r == nil {
		return b.tmpl.ExecuteTemplate(buf, "sizes-missing", data)
	}
	return b.tmpl.ExecuteTemplate(buf, "sizes", newSizesView(r))
}

func newSizesView(r *sizes.Report) *sizesView {
	v := &sizesView{R: r, Binary: humanBytes(r.BinaryBytes)}
	var max int64
	for _, im := range r.Images {
		max = max64(max, im.Bytes)
	}
	const left, width, barH, gap = 110, 520, 30, 18
	v.Chart.Width = left + width + 120
	for i, im := range r.Images {
		row := sizesRow{
			Name: im.Name, Dockerfile: im.Dockerfile, Bytes: im.Bytes, Size: humanBytes(im.Bytes),
			Layers: fmt.Sprint(im.LayerCount), Cold: seconds(im.BuildSecondsCold), Warm: seconds(im.BuildSecondsWarm),
		}
		for _, l := range im.Layers {
			row.History = append(row.History, sizesLayer{CreatedBy: tidyHistory(l.CreatedBy), Size: humanBytes(l.Bytes), Base: l.Base})
		}
		v.Rows = append(v.Rows, row)
		// Linear scale: the point is how small one bar is next to the other,
		// so the scale must not flatter it; 2 px keeps a tiny bar visible.
		w := int(math.Round(float64(width) * float64(im.Bytes) / float64(max)))
		if w < 2 {
			w = 2
		}
		y := 10 + i*(barH+gap)
		v.Bars = append(v.Bars, sizesBar{Name: im.Name, Label: humanBytes(im.Bytes), Class: "bar-" + im.Name, Y: y, W: w, TextX: left + w + 8})
	}
	v.Chart.Height = 10 + len(r.Images)*(barH+gap)
	v.Ratio = ratioWords(r.Ratio)
	if ms := r.Image(sizes.NameMultistage); ms != nil && ms.Bytes > r.BinaryBytes {
		v.Overhead = humanBytes(ms.Bytes - r.BinaryBytes)
	}
	return v
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// humanBytes formats a size in SI units, as `docker image ls` does.
func humanBytes(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}

func seconds(s float64) string {
	if s <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f s", s)
}

// ratioWords says a ratio the way a person would: "73 times".
func ratioWords(r float64) string {
	if r >= 10 {
		return fmt.Sprintf("%.0f times", r)
	}
	return fmt.Sprintf("%.1f times", r)
}

// tidyHistory shortens docker history's "/bin/sh -c #(nop) " prefixes.
func tidyHistory(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimSpace(strings.TrimPrefix(s, "/bin/sh -c #(nop)"))
	s = strings.TrimPrefix(s, "|2 ")
	if h, ok := tidyHealthcheck(s); ok {
		s = h
	}
	if len(s) > 140 {
		s = s[:137] + "..."
	}
	return s
}

// tidyHealthcheck turns the legacy builder's dump of a HEALTHCHECK's
// settings (Docker 20.10: `HEALTHCHECK &{["CMD" "/multistage" "healthcheck"]
// "30s" "3s" "5s" '\x03'}`; later versions add a start interval) back into
// the instruction as a Dockerfile writes it. Anything else is left alone.
func tidyHealthcheck(s string) (string, bool) {
	rest, ok := strings.CutPrefix(s, "HEALTHCHECK &{[")
	if !ok || !strings.HasSuffix(rest, "}") {
		return "", false
	}
	test, rest := quotedRun(rest)
	rest, ok = strings.CutPrefix(rest, "]")
	if !ok {
		return "", false
	}
	durs, rest := quotedRun(rest)
	q, err := strconv.QuotedPrefix(rest)
	if err != nil || len(durs) < 3 || len(durs) > 4 || len(test) == 0 || rest[len(q):] != "}" {
		return "", false
	}
	r, _ := strconv.Unquote(q)
	if len([]rune(r)) != 1 {
		return "", false
	}
	var b strings.Builder
	b.WriteString("HEALTHCHECK")
	if test[0] == "NONE" {
		return b.String() + " NONE", true
	}
	for i, flag := range []string{"interval", "timeout", "start-period", "start-interval"}[:len(durs)] {
		if durs[i] != "0s" && durs[i] != "" {
			fmt.Fprintf(&b, " --%s=%s", flag, durs[i])
		}
	}
	if n := []rune(r)[0]; n > 0 {
		fmt.Fprintf(&b, " --retries=%d", n)
	}
	switch {
	case test[0] == "CMD-SHELL" && len(test) == 2:
		b.WriteString(" CMD " + test[1])
	case test[0] == "CMD":
		quoted := make([]string, len(test)-1)
		for i, a := range test[1:] {
			quoted[i] = strconv.Quote(a)
		}
		b.WriteString(" CMD [" + strings.Join(quoted, ", ") + "]")
	default:
		return "", false
	}
	return b.String(), true
}

// quotedRun reads the Go-quoted strings ("a" "b") at the start of s, each
// after optional spaces, and returns them and what follows them (its
// leading spaces trimmed).
func quotedRun(s string) ([]string, string) {
	var vs []string
	for {
		s = strings.TrimLeft(s, " ")
		if !strings.HasPrefix(s, `"`) {
			return vs, s
		}
		q, err := strconv.QuotedPrefix(s)
		if err != nil {
			return vs, s
		}
		v, _ := strconv.Unquote(q)
		vs = append(vs, v)
		s = s[len(q):]
	}
}
