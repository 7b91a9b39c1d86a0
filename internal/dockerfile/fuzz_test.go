package dockerfile

import (
	"strings"
	"testing"

	"github.com/alecthomas/chroma/v2"
	chromalexers "github.com/alecthomas/chroma/v2/lexers"
)

// fragments are Dockerfile pieces FuzzLexer assembles into structured
// inputs: random bytes alone rarely form a heredoc or a continuation.
var fragments = []string{
	"FROM ", "RUN ", "COPY ", "ADD ", "CMD ", "ENTRYPOINT ", "SHELL ", "ENV ",
	"ARG ", "LABEL ", "EXPOSE ", "ONBUILD ", "HEALTHCHECK ", "USER ",
	"WORKDIR ", "VOLUME ", "STOPSIGNAL ", "MAINTAINER ", "AS ", "NONE",
	"--mount=type=cache,target=/x ", "--from=a ", "--", "--link ", " ",
	"\t", "\n", "\r\n", "\r", "\\", "\\\n", "`", "`\n", "# escape=`\n",
	"# syntax=x\n", "# c\n", "#", "<<", "<<-", "<<EOF", "<<-EOF", "<<'EOF'",
	"<<\"EOF\"", "3<<", "EOF", "\tEOF", "EOF\n", "\"", "'", "[", "]", ",",
	"[\"a\", \"b\"]", "$", "${", "}", "${A:-b}", "$A", "=", "a", "0", "/",
	"80/tcp", "bash ", "python3 ", "#!/bin/sh\n", "#!/usr/bin/python\n",
	"[\"pwsh\"]", "[\"cmd\"]", "\ufeff", "\u00a0", "\xff", "&&", ";", "|",
	">", "\\u00e9", "\\\"",
}

func assemble(b string) string {
	var sb strings.Builder
	for i := 0; i < len(b); i++ {
		sb.WriteString(fragments[int(b[i])%len(fragments)])
	}
	return sb.String()
}

// FuzzLexer checks the lexer contract on arbitrary input: no panic, no
// Error token, no empty token, exact round trip. Each input is used as is
// and, byte by byte, as a choice of fragments, with the default shell lexers
// and (for inputs up to 4 KiB, as chroma's regexp2 lexers are slow on huge
// lines) with chroma's. Seeds live in testdata/fuzz/FuzzLexer.
func FuzzLexer(f *testing.F) {
	for _, s := range []string{
		"FROM x AS y\n",
		"# escape=`\nRUN a `\n b\n",
		"RUN <<A <<-B\nA\n\tB\n",
		"COPY <<\"E F\" /x\n$y\nE F\n",
		"RUN --mount=type=cache,target=/x \\\n  # c\n  go build\n",
		"CMD [\"a\", \"\\u00e9\"]\r\n",
		"\x01\x27\x2b\x1c\x2f\x18\x1c\x31\x1c",
	} {
		f.Add(s)
	}
	withChroma := (&lexer{}).SetRegistry(chromalexers.GlobalLexerRegistry)
	f.Fuzz(func(t *testing.T, src string) {
		for _, in := range []string{src, assemble(src)} {
			ls := []chroma.Lexer{Lexer}
			if len(in) <= 4096 {
				ls = append(ls, withChroma)
			}
			for _, l := range ls {
				checkFuzz(t, l, in)
			}
		}
	})
}

// checkFuzz is checkInvariants for the iterator itself, stopping only at
// chroma.EOF so that an empty token in the middle would be noticed.
func checkFuzz(t *testing.T, l chroma.Lexer, in string) {
	t.Helper()
	it, err := l.Tokenise(nil, in)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for tok := it(); tok.Value != "" || tok.Type != 0; tok = it() {
		if tok.Type <= 0 {
			t.Fatalf("input %q: meta token %s %q", in, tok.Type, tok.Value)
		}
		if tok.Value == "" {
			t.Fatalf("input %q: empty %s token", in, tok.Type)
		}
		b.WriteString(tok.Value)
	}
	if b.String() != in {
		t.Fatalf("round trip differs\n got: %q\nwant: %q", b.String(), in)
	}
}
