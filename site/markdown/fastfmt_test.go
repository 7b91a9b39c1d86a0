package markdown

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/alecthomas/chroma/v2"
)

// TestWriteCodeMatchesChroma: writeCode is byte for byte chroma's formatter.
func TestWriteCodeMatchesChroma(t *testing.T) {
	var srcs [][2]string
	for lang, file := range map[string]string{"go": "../../app/app.go", "dockerfile": "../../Dockerfile", "bash": "../../.ci/run"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, [2]string{lang, string(b)})
	}
	srcs = append(srcs,
		[2]string{"dockerfile", "FROM golang:1.26 AS build\nRUN <<EOF\necho hi\nEOF\nCOPY --from=build /out/app /app\n"},
		[2]string{"", "plain <text> & \"quotes\" 'x'\n\n\ttabs\n"},
		[2]string{"yaml", "a: 1\nb: [x, \"y\"]\n"},
		[2]string{"go", ""},
		[2]string{"go", "x\n\n\n"},
		[2]string{"go", "no newline at the end"},
	)
	for _, c := range srcs {
		l := LexerFor(c[0])
		if l == nil {
			l = plainLexer
		}
		it, err := l.Tokenise(nil, c[1])
		if err != nil {
			t.Fatal(err)
		}
		toks := it.Tokens()
		var fast, slow bytes.Buffer
		writeCode(&fast, toks)
		it2, _ := l.Tokenise(nil, c[1])
		if err := newFormatter(Fence{}).Format(&slow, classStyle, it2); err != nil {
			t.Fatal(err)
		}
		if fast.String() != slow.String() {
			t.Errorf("%s %q:\nfast:   %s\nchroma: %s", c[0], c[1], fast.String(), slow.String())
		}
	}
}

// FuzzWriteCode: for any tokens (values cut from the input at '|', types
// taken in turn from a list with and without classes), writeCode writes
// what chroma's formatter writes.
func FuzzWriteCode(f *testing.F) {
	for _, s := range []string{"", "|", "a|\n|b", "\n\n|\n|", "x\n|", "|\n", "<&>|'\"|\n\t|", "a\nb\nc|d|\n|"} {
		f.Add(s)
	}
	types := []chroma.TokenType{chroma.Text, chroma.Keyword, chroma.NameFunction, chroma.Comment, chroma.LiteralString, chroma.Punctuation, chroma.Background}
	f.Fuzz(func(t *testing.T, s string) {
		var toks []chroma.Token
		if s != "" {
			for i, v := range strings.Split(s, "|") {
				toks = append(toks, chroma.Token{Type: types[i%len(types)], Value: v})
			}
		}
		var fast, slow bytes.Buffer
		writeCode(&fast, toks)
		it := chroma.Literator(append([]chroma.Token(nil), toks...)...)
		if err := newFormatter(Fence{}).Format(&slow, classStyle, it); err != nil {
			t.Fatal(err)
		}
		if fast.String() != slow.String() {
			t.Errorf("%q:\nfast:   %s\nchroma: %s", s, fast.String(), slow.String())
		}
	})
}
