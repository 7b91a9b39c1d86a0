package markdown

import (
	"bytes"
	"os"
	"testing"
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
