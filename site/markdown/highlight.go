package markdown

import (
	"bytes"
	"fmt"
	"strings"
	"sync"

	"github.com/alecthomas/chroma/v2"
	chtml "github.com/alecthomas/chroma/v2/formatters/html"

	"multistage/internal/dockerfile"
	"multistage/internal/lexers"
)

func init() { RegisterLexer(dockerfile.Lexer.SetRegistry(lexers.Registry)) }

// classStyle is the style handed to chroma's formatter. With CSS classes the
// formatter only needs a style to exist: colours come from the theme's
// chroma.css (made by tools/chromacss), so pages carry no inline style, which
// the Content-Security-Policy forbids anyway.
var classStyle = chroma.MustNewStyle("classes", chroma.StyleEntries{})

// overrides holds lexers that replace chroma's own for some languages (its
// Dockerfile lexer is wrong; see internal/dockerfile). Keys are lower-case
// language names and aliases.
var overrides = map[string]chroma.Lexer{}

// RegisterLexer makes l the lexer for its name and aliases, ahead of chroma's.
func RegisterLexer(l chroma.Lexer) {
	cfg := l.Config()
	overrides[strings.ToLower(cfg.Name)] = l
	for _, a := range cfg.Aliases {
		overrides[strings.ToLower(a)] = l
	}
}

// LexerFor returns the lexer for a fence language, or nil for none: unknown
// and missing languages render as plain escaped text, never as an error, and
// never by guessing. The lexers are the project's own (internal/lexers,
// internal/dockerfile); see internal/lexers for why not chroma's registry.
func LexerFor(lang string) chroma.Lexer {
	lang = strings.ToLower(lang)
	if lang == "" || lang == "text" || lang == "plain" || lang == "txt" {
		return nil
	}
	if l, ok := overrides[lang]; ok {
		return l
	}
	if l := lexers.Get(lang); l != nil {
		return l
	}
	return nil
}

// highlighter renders code blocks and remembers each distinct one, so a block
// repeated across pages (or unchanged between dev-mode rebuilds) is
// highlighted once.
type highlighter struct {
	mu    sync.Mutex
	cache map[string][]byte
}

// maxCache bounds the memo; past it the memo starts over, which only costs
// time, never correctness.
const maxCache = 20000

func (h *highlighter) render(lang string, code []byte, f Fence) ([]byte, error) {
	key := fmt.Sprintf("%s\x00%v\x00%v\x00%d\x00%s", lang, f.LineNos, f.HL, f.Lines[0], code)
	h.mu.Lock()
	if b, ok := h.cache[key]; ok {
		h.mu.Unlock()
		return b, nil
	}
	h.mu.Unlock()
	b, err := highlight(lang, code, f)
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	if h.cache == nil || len(h.cache) >= maxCache {
		h.cache = make(map[string][]byte)
	}
	h.cache[key] = b
	h.mu.Unlock()
	return b, nil
}

// formatters holds one formatter per set of options: each formatter fills
// its own style cache on first use, which costs more than formatting a
// block, so making one per block was a third of a large build.
var formatters sync.Map // fmt.Sprint(LineNos, HL, Lines[0]) → *chtml.Formatter

func formatter(f Fence) *chtml.Formatter {
	key := fmt.Sprint(f.LineNos, f.HL, f.Lines[0])
	if v, ok := formatters.Load(key); ok {
		return v.(*chtml.Formatter)
	}
	v, _ := formatters.LoadOrStore(key, newFormatter(f))
	return v.(*chtml.Formatter)
}

func newFormatter(f Fence) *chtml.Formatter {
	opts := []chtml.Option{chtml.WithClasses(true), chtml.TabWidth(4), chtml.WithPreWrapper(preWrapper{})}
	if f.LineNos {
		opts = append(opts, chtml.WithLineNumbers(true))
	}
	if len(f.HL) > 0 {
		opts = append(opts, chtml.HighlightLines(f.HL))
	}
	if f.Lines[0] > 1 {
		// Numbers match the included file's own lines.
		opts = append(opts, chtml.BaseLineNumber(f.Lines[0]))
	}
	return chtml.New(opts...)
}

func highlight(lang string, code []byte, f Fence) ([]byte, error) {
	l := LexerFor(lang)
	if l == nil {
		l = plainLexer
	}
	it, err := l.Tokenise(nil, string(code))
	if err != nil {
		// A lexer that fails is a bug in it, not in the page: show the code.
		it, _ = plainLexer.Tokenise(nil, string(code))
	}
	var buf bytes.Buffer
	if !f.LineNos && len(f.HL) == 0 {
		// Spans and escapes make the HTML about four times the code.
		buf.Grow(4*len(code) + 128)
		writeCode(&buf, it.Tokens()) // chroma's output, faster (fastfmt.go)
		return buf.Bytes(), nil
	}
	if err := formatter(f).Format(&buf, classStyle, it); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// preWrapper is chroma's <pre><code> with tabindex="0": a code block that
// scrolls sideways must be reachable from the keyboard.
type preWrapper struct{}

func (preWrapper) Start(code bool, styleAttr string) string {
	return `<pre tabindex="0" class="chroma"><code>`
}

func (preWrapper) End(code bool) string { return "</code></pre>" }

// plainLexer emits the whole input as one Text token: chroma's formatter then
// still adds line numbers and highlighted lines, and escapes the text.
var plainLexer = lexers.New(&chroma.Config{Name: "plaintext"}, func(text string) []chroma.Token {
	return []chroma.Token{{Type: chroma.Text, Value: text}}
})
