// Package lexers holds the syntax lexers the site uses, written by hand
// against chroma's token types instead of taken from chroma's lexer registry.
//
// Why not chroma's own: importing chroma/v2/lexers registers some 250 regular
// expression lexers at program start (about 100 ms of init and several MB of
// binary), and its regexp2-based Go lexer takes tens of milliseconds on a
// 200-line file. The served binary renders the tutorial at start-up, so both
// costs land on every start. These lexers cover the languages the tutorial
// and its authors use (Go via go/scanner, shell, YAML, JSON, diff), are
// linear-time, and keep chroma's contract that matters here:
//
//   - the tokens' values concatenate back to the input, byte for byte;
//   - no chroma.Error token is ever emitted, whatever the input.
//
// Any other language renders as plain text (see site/markdown).
package lexers

import (
	"strings"

	"github.com/alecthomas/chroma/v2"
)

// Func turns source text into tokens. It must cover every byte of text.
type Func func(text string) []chroma.Token

// lexer adapts a Func to chroma.Lexer.
type lexer struct {
	cfg *chroma.Config
	fn  Func
}

// New returns a chroma.Lexer named cfg.Name that tokenises with fn.
func New(cfg *chroma.Config, fn Func) chroma.Lexer { return &lexer{cfg: cfg, fn: fn} }

func (l *lexer) Config() *chroma.Config { return l.cfg }

func (l *lexer) Tokenise(_ *chroma.TokeniseOptions, text string) (chroma.Iterator, error) {
	return chroma.Literator(Sanitise(l.fn(text))...), nil
}

func (l *lexer) SetRegistry(*chroma.LexerRegistry) chroma.Lexer     { return l }
func (l *lexer) SetAnalyser(func(text string) float32) chroma.Lexer { return l }
func (l *lexer) AnalyseText(string) float32                         { return 0 }

// Sanitise merges adjacent tokens of one type, drops empty ones and turns
// any Error token into Text, so no lexer here can emit one.
func Sanitise(toks []chroma.Token) []chroma.Token {
	out := toks[:0]
	for _, t := range toks {
		if t.Value == "" {
			continue
		}
		if t.Type == chroma.Error {
			t.Type = chroma.Text
		}
		if n := len(out); n > 0 && out[n-1].Type == t.Type {
			out[n-1].Value += t.Value
			continue
		}
		out = append(out, t)
	}
	return out
}

// Registry holds every lexer of the package, looked up by name or alias.
var Registry = chroma.NewLexerRegistry()

func init() {
	for _, l := range []chroma.Lexer{Go, Bash, Console, YAML, JSON, Diff} {
		Registry.Register(l)
	}
}

// Get returns the lexer for a language name or alias, or nil.
func Get(name string) chroma.Lexer {
	name = strings.ToLower(name)
	for _, l := range Registry.Lexers {
		cfg := l.Config()
		if strings.ToLower(cfg.Name) == name {
			return l
		}
		for _, a := range cfg.Aliases {
			if a == name {
				return l
			}
		}
	}
	return nil
}

// tokens is a small builder that appends a token covering text[start:end].
type tokens struct {
	src string
	out []chroma.Token
}

func (t *tokens) add(typ chroma.TokenType, s string) {
	if s != "" {
		t.out = append(t.out, chroma.Token{Type: typ, Value: s})
	}
}

// quoteEnd returns the index just past the quote that closes the one at
// s[open], or len(s) when it is unclosed. With escapes, a backslash hides
// the byte after it.
func quoteEnd(s string, open int, escapes bool) int {
	q := s[open]
	for j := open + 1; j < len(s); j++ {
		switch {
		case escapes && s[j] == '\\':
			j++
		case s[j] == q:
			return j + 1
		}
	}
	return len(s)
}
