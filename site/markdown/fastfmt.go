package markdown

import (
	"bytes"
	"html"

	"github.com/alecthomas/chroma/v2"
)

// writeCode writes highlighted code exactly as chroma's HTML formatter does
// with our options (classes, preWrapper, no line numbers, no highlighted
// lines), without its per-token fmt.Sprintf and interface boxing: on large
// builds the formatter cost more than the lexers. fastfmt_test.go compares
// the two byte for byte; blocks with line numbers or highlighted lines go
// through chroma's formatter.
func writeCode(b *bytes.Buffer, tokens []chroma.Token) {
	b.WriteString(preWrapper{}.Start(true, ""))
	for _, line := range chroma.SplitTokensIntoLines(tokens) {
		b.WriteString(`<span class="` + tokenClass(chroma.Line) + `"><span class="` + tokenClass(chroma.CodeLine) + `">`)
		for _, t := range line {
			if cls := tokenClass(t.Type); cls != "" {
				b.WriteString(`<span class="`)
				b.WriteString(cls)
				b.WriteString(`">`)
				b.WriteString(html.EscapeString(t.Value))
				b.WriteString(`</span>`)
			} else {
				b.WriteString(html.EscapeString(t.Value))
			}
		}
		b.WriteString(`</span></span>`)
	}
	b.WriteString(preWrapper{}.End(true))
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
