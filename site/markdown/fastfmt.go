package markdown

import (
	"bytes"
	"strings"

	"github.com/alecthomas/chroma/v2"
)

// writeCode writes highlighted code exactly as chroma's HTML formatter does
// with our options (classes, preWrapper, no line numbers, no highlighted
// lines), without its per-token fmt.Sprintf and interface boxing, and
// without splitting the tokens into lines first: on large builds the
// formatter cost more than the lexers. fastfmt_test.go compares the two byte
// for byte; blocks with line numbers or highlighted lines go through
// chroma's formatter.
//
// chroma splits the tokens into lines (chroma.SplitTokensIntoLines): a
// token holding newlines is cut after each, and the part after the last
// newline, when not empty, starts the next line. An empty token of the
// lexer's own is kept (an empty span), except as the only token of the last
// line: so one that starts a line is held back until something follows.
func writeCode(b *bytes.Buffer, tokens []chroma.Token) {
	b.WriteString(preWrapper{}.Start(true, ""))
	open := false           // a line's spans are open
	held, hold := "", false // an empty token starting a line, not yet written
	for _, t := range tokens {
		cls := tokenClass(t.Type)
		v := t.Value
		for {
			if !open {
				if v == "" && !hold {
					held, hold = cls, true
					break
				}
				b.WriteString(lineStart)
				open = true
			}
			if hold {
				writeToken(b, held, "")
				hold = false
			}
			i := strings.IndexByte(v, '\n')
			if i < 0 {
				writeToken(b, cls, v)
				break
			}
			writeToken(b, cls, v[:i+1])
			b.WriteString(lineEnd)
			open = false
			v = v[i+1:]
			if v == "" {
				break // chroma drops the empty tail of a cut token
			}
		}
	}
	if open {
		b.WriteString(lineEnd)
	}
	b.WriteString(preWrapper{}.End(true))
}

var (
	lineStart = `<span class="` + tokenClass(chroma.Line) + `"><span class="` + tokenClass(chroma.CodeLine) + `">`
	lineEnd   = `</span></span>`
)

// writeToken writes one token, in a span of its class when it has one.
func writeToken(b *bytes.Buffer, cls, v string) {
	if cls == "" {
		writeEscaped(b, v)
		return
	}
	b.WriteString(`<span class="`)
	b.WriteString(cls)
	b.WriteString(`">`)
	writeEscaped(b, v)
	b.WriteString(`</span>`)
}

// writeEscaped is html.EscapeString written straight into b.
func writeEscaped(b *bytes.Buffer, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '&':
			esc = "&amp;"
		case '\'':
			esc = "&#39;"
		case '"':
			esc = "&#34;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(esc)
		last = i + 1
	}
	b.WriteString(s[last:])
}

// classes holds the class of every standard token type, filled once.
var classes = func() map[chroma.TokenType]string {
	m := make(map[chroma.TokenType]string, len(chroma.StandardTypes))
	for t := range chroma.StandardTypes {
		m[t] = classOf(t)
	}
	return m
}()

// tokenClass is chroma's html Formatter.class without a prefix: the class of
// the type, or of its nearest parent that has one.
func tokenClass(t chroma.TokenType) string {
	if c, ok := classes[t]; ok {
		return c
	}
	return classOf(t)
}

func classOf(t chroma.TokenType) string {
	for ; t != 0; t = t.Parent() {
		if c, ok := chroma.StandardTypes[t]; ok {
			return c
		}
	}
	return chroma.StandardTypes[0]
}
