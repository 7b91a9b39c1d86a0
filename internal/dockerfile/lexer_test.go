package dockerfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/alecthomas/chroma/v2"
	"github.com/alecthomas/chroma/v2/formatters/html"
	chromalexers "github.com/alecthomas/chroma/v2/lexers"
	"github.com/alecthomas/chroma/v2/styles"
)

// shellConfigs are the two ways the shell lexers get resolved: the default
// (multistage/internal/lexers) and chroma's full registry given through
// SetRegistry. Tests that depend on them run under both. Importing chroma's
// lexers here only affects the test binary.
var shellConfigs = []struct {
	name string
	reg  *chroma.LexerRegistry
}{
	{"project-lexers", nil},
	{"chroma-lexers", chromalexers.GlobalLexerRegistry},
}

// withRegistry runs f with reg as Lexer's registry and restores the default.
func withRegistry(reg *chroma.LexerRegistry, f func()) {
	Lexer.SetRegistry(reg)
	defer Lexer.SetRegistry(nil)
	f()
}

func tokenise(t testing.TB, src string) []chroma.Token {
	t.Helper()
	it, err := Lexer.Tokenise(nil, src)
	if err != nil {
		t.Fatalf("Tokenise: %v", err)
	}
	return it.Tokens()
}

// checkInvariants verifies the contract that holds for every input: no
// Error (or other meta) token, no empty token, exact round trip.
func checkInvariants(t testing.TB, src string, toks []chroma.Token) {
	t.Helper()
	var b strings.Builder
	for i, tok := range toks {
		if tok.Type <= 0 {
			t.Fatalf("token %d has type %s: %q", i, tok.Type, tok.Value)
		}
		if tok.Value == "" {
			t.Fatalf("token %d (%s) is empty", i, tok.Type)
		}
		b.WriteString(tok.Value)
	}
	if got := b.String(); got != src {
		t.Fatalf("round trip differs\n got: %q\nwant: %q", got, src)
	}
}

// typeAt returns the type of the token covering byte off.
func typeAt(toks []chroma.Token, off int) chroma.TokenType {
	pos := 0
	for _, tok := range toks {
		if off < pos+len(tok.Value) {
			return tok.Type
		}
		pos += len(tok.Value)
	}
	return chroma.EOFType
}

type mode int

const (
	exact  mode = iota // every byte has exactly the wanted type
	sub                // every byte's type is in the wanted sub-category
	cat                // every byte's type is in the wanted category
	notCat             // no byte's type is in the wanted category
)

// spot is an expectation about the tokens of a piece of the input: the
// nth (1-based; 0 means 1) occurrence of find, narrowed to the first
// occurrence of at inside it (all of find if at is empty).
type spot struct {
	find string
	at   string
	nth  int
	want chroma.TokenType
	mode mode
	// chroma marks expectations about code delegated to a lexer only
	// chroma's registry has (PowerShell, Batchfile).
	chroma bool
}

func checkSpot(t *testing.T, src string, toks []chroma.Token, s spot) {
	t.Helper()
	off, rest := -1, src
	for n := max(s.nth, 1); n > 0; n-- {
		i := strings.Index(rest, s.find)
		if i < 0 {
			t.Errorf("%q (occurrence %d) not found", s.find, s.nth)
			return
		}
		off = len(src) - len(rest) + i
		rest = rest[i+len(s.find):]
	}
	at := s.find
	if s.at != "" {
		i := strings.Index(s.find, s.at)
		if i < 0 {
			t.Fatalf("bad spot: %q not in %q", s.at, s.find)
		}
		off += i
		at = s.at
	}
	for i := off; i < off+len(at); i++ {
		got := typeAt(toks, i)
		var ok bool
		switch s.mode {
		case exact:
			ok = got == s.want
		case sub:
			ok = got.InSubCategory(s.want)
		case cat:
			ok = got.InCategory(s.want)
		case notCat:
			ok = !got.InCategory(s.want)
		}
		if !ok {
			t.Errorf("in %q at %q: byte %d (%q) has type %s, want %s (mode %d)",
				s.find, at, i-off, src[i], got, s.want, s.mode)
			return
		}
	}
}

func corpusFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "corpus", "*.Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestCorpusInvariants(t *testing.T) {
	files := corpusFiles(t)
	if len(files) < 25 {
		t.Fatalf("corpus has %d files, want at least 25", len(files))
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		src := string(data)
		// Each file is also checked with CRLF line endings and without its
		// final newline, the two line-ending variants people produce.
		variants := map[string]string{
			"original":   src,
			"crlf":       strings.ReplaceAll(strings.ReplaceAll(src, "\r\n", "\n"), "\n", "\r\n"),
			"no-newline": strings.TrimRight(src, "\r\n"),
		}
		for _, cfg := range shellConfigs {
			withRegistry(cfg.reg, func() {
				for name, v := range variants {
					t.Run(cfg.name+"/"+filepath.Base(path)+"/"+name, func(t *testing.T) {
						checkInvariants(t, v, tokenise(t, v))
					})
				}
			})
		}
	}
}

func TestCorpusSpots(t *testing.T) {
	tests := map[string][]spot{
		"golang.Dockerfile": {
			{find: "# syntax=docker/dockerfile:1.7", want: chroma.CommentPreproc},
			{find: "# check=error=true", want: chroma.CommentPreproc},
			{find: "ARG GO_VERSION", at: "ARG", want: chroma.Keyword},
			{find: "ARG GO_VERSION", at: "GO_VERSION", want: chroma.NameVariable},
			{find: "FROM --platform", at: "FROM", want: chroma.Keyword},
			{find: "--platform", want: chroma.NameAttribute},
			{find: "--platform=", at: "=", want: chroma.Operator},
			{find: "$BUILDPLATFORM", want: chroma.NameVariable},
			{find: "${GO_VERSION}", want: chroma.NameVariable},
			{find: "golang:", want: chroma.LiteralString, mode: sub},
			{find: "AS build", at: "AS", want: chroma.Keyword},
			{find: "AS build", at: "build", want: chroma.NameLabel},
			{find: "AS final", at: "final", want: chroma.NameLabel},
			{find: "--mount=type=cache,target=/go/pkg/mod", at: "--mount", want: chroma.NameAttribute},
			{find: "--mount=type=cache,target=/go/pkg/mod", at: "type=cache,target=/go/pkg/mod", want: chroma.LiteralString, mode: sub},
			{find: "mod \\\n", at: "\\", want: chroma.Punctuation},
			{find: "${VERSION}", want: chroma.NameVariable},
			{find: "--from=build", at: "--from", want: chroma.NameAttribute},
			{find: "--from=build", at: "build", want: chroma.LiteralString, mode: sub},
			{find: "--chown=nonroot:nonroot", at: "--chown", want: chroma.NameAttribute},
			{find: "org.opencontainers.image.source", want: chroma.NameProperty},
			{find: "EXPOSE 8080/tcp", at: "8080", want: chroma.LiteralNumberInteger},
			{find: "EXPOSE 8080/tcp", at: "/", want: chroma.Punctuation},
			{find: "EXPOSE 8080/tcp", at: "tcp", want: chroma.NameBuiltin},
			{find: `ENTRYPOINT ["/usr/local/bin/server"]`, at: "[", want: chroma.Punctuation},
			{find: `ENTRYPOINT ["/usr/local/bin/server"]`, at: `"/usr/local/bin/server"`, want: chroma.LiteralStringDouble},
			{find: `CMD ["--listen", ":8080"]`, at: "--listen", want: chroma.LiteralStringDouble},
			{find: `CMD ["--listen", ":8080"]`, at: ",", want: chroma.Punctuation},
		},
		"node.Dockerfile": {
			{find: "# use pre-existing gpg directory", want: chroma.Comment},
			{find: "# gpg keys listed at", want: chroma.Comment},
			{find: "  # smoke tests", at: "# smoke tests", want: chroma.Comment},
			{find: "ENV NODE_VERSION 20.15.1", at: "NODE_VERSION", want: chroma.NameVariable},
			{find: "ENV NODE_VERSION 20.15.1", at: "20.15.1", want: chroma.LiteralString},
			{find: "&& npm --version", at: "npm", want: chroma.Keyword, mode: notCat},
			{find: `CMD [ "node" ]`, at: `"node"`, want: chroma.LiteralStringDouble},
		},
		"python.Dockerfile": {
			{find: "ENV PATH /usr/local/bin:$PATH", at: "$PATH", want: chroma.NameVariable},
			{find: "ENV LANG C.UTF-8", at: "C.UTF-8", want: chroma.LiteralString},
			{find: "${PYTHON_VERSION%%[a-z]*}", want: chroma.NameVariable},
			{find: "\t\\\n", at: "\\", want: chroma.Punctuation},
		},
		"nginx.Dockerfile": {
			{find: "# create nginx user/group first", want: chroma.Comment},
			{find: "# forward request and error logs", want: chroma.Comment},
			{find: "ENV NGINX_VERSION   1.27.0", at: "1.27.0", want: chroma.LiteralString},
			{find: "STOPSIGNAL SIGQUIT", at: "SIGQUIT", want: chroma.LiteralString},
			{find: "EXPOSE 80", at: "80", want: chroma.LiteralNumberInteger},
			{find: `"daemon off;"`, want: chroma.LiteralStringDouble},
		},
		"postgres.Dockerfile": {
			{find: "# https://salsa.debian.org/postgresql", want: chroma.Comment},
			{find: "# if this file exists, we're likely", want: chroma.Comment},
			{find: "ENV PATH $PATH:/usr/lib/postgresql/$PG_MAJOR/bin", at: "$PG_MAJOR", want: chroma.NameVariable},
			{find: "VOLUME /var/lib/postgresql/data", at: "/var/lib/postgresql/data", want: chroma.LiteralString},
			{find: "STOPSIGNAL SIGINT", at: "STOPSIGNAL", want: chroma.Keyword},
			{find: "EXPOSE 5432", at: "5432", want: chroma.LiteralNumberInteger},
		},
		"heredoc-run.Dockerfile": {
			{find: "RUN <<EOF\nset", at: "<<", want: chroma.Operator},
			{find: "RUN <<EOF\nset", at: "EOF", want: chroma.NameConstant},
			{find: "RUN <<EOF\nset", at: "set", want: chroma.NameBuiltin},
			{find: "\nEOF\n", at: "EOF", want: chroma.NameConstant},
			{find: "RUN <<-EOT", at: "<<-", want: chroma.Operator},
			{find: "\tEOT\n", at: "EOT", want: chroma.NameConstant},
			{find: "\tEOT\n", at: "\t", want: chroma.TextWhitespace},
			{find: `RUN <<"EOF"`, at: `"EOF"`, want: chroma.NameConstant},
			{find: "FROM this line is not an instruction", want: chroma.Keyword, mode: notCat},
			{find: "RUN echo this is shell", at: "RUN", want: chroma.Keyword, mode: notCat},
			{find: "COPY . /nowhere", want: chroma.Keyword, mode: notCat},
			{find: "I am\nfirst", at: "first", want: chroma.LiteralString, mode: sub},
			{find: "\nFILE2\n", at: "FILE2", want: chroma.NameConstant},
			{find: "RUN <<A <<B", at: "B", want: chroma.NameConstant},
			{find: "ENV A=1", want: chroma.Keyword, mode: notCat},
			{find: "ENV B=2", want: chroma.Keyword, mode: notCat},
			{find: "\nB\n", at: "B", want: chroma.NameConstant},
			{find: "--network=host", at: "--network", want: chroma.NameAttribute},
			{find: "apt-get install -y git", want: chroma.Keyword, mode: notCat},
			{find: "3<< EOF", at: "3", want: chroma.LiteralNumberInteger},
			{find: "3<< EOF", at: "EOF", want: chroma.NameConstant},
			{find: "hello\n", at: "hello", want: chroma.LiteralStringHeredoc},
			{find: "${GREETING:-hi}", want: chroma.NameVariable},
			{find: `CMD ["/bin/bash"]`, at: "CMD", want: chroma.Keyword},
		},
		"heredoc-copy.Dockerfile": {
			{find: "COPY <<EOF /etc/nginx", at: "/etc/nginx", want: chroma.LiteralString},
			{find: "server {", want: chroma.LiteralStringHeredoc},
			{find: "${SERVER_NAME}", want: chroma.NameVariable},
			{find: "--chmod=0755", at: "--chmod", want: chroma.NameAttribute},
			{find: `<<-"EOT"`, at: `"EOT"`, want: chroma.NameConstant},
			{find: "FROM=$(date)", want: chroma.Keyword, mode: notCat},
			{find: "FROM=$(date)", want: chroma.LiteralString, mode: sub},
			{find: "RUN this page", want: chroma.Keyword, mode: notCat},
			{find: "\nrobots.txt\n", at: "robots.txt", want: chroma.NameConstant},
			{find: "\nhumans.txt\n", at: "humans.txt", want: chroma.NameConstant},
			{find: "Welcome, $USER!", at: "$USER", want: chroma.NameVariable},
			{find: "HEALTHCHECK --interval=30s CMD", at: "CMD", want: chroma.Keyword},
		},
		"heredoc-interpreters.Dockerfile": {
			{find: `FROM = "not an instruction"`, want: chroma.LiteralString, mode: sub},
			{find: "RUN = 1", want: chroma.LiteralString, mode: sub},
			{find: "#!/usr/bin/env python3", want: chroma.LiteralString, mode: sub},
			{find: "#!/bin/bash", want: chroma.Comment, mode: cat},
			{find: "for f in", at: "for", want: chroma.Keyword},
			{find: "WORKDIR=/tmp", at: "WORKDIR", want: chroma.NameVariable},
			{find: "EXPOSE = 9090", want: chroma.LiteralString, mode: sub},
			{find: "echo as root", at: "echo", want: chroma.NameBuiltin},
			{find: "ENTRYPOINT is just text here", want: chroma.Keyword, mode: notCat},
			{find: "\nJS\n", at: "JS", want: chroma.NameConstant},
		},
		"buildkit-mounts.Dockerfile": {
			{find: "# syntax=docker/dockerfile:1.7-labs", want: chroma.CommentPreproc},
			{find: "--mount=type=ssh", at: "type=ssh", want: chroma.LiteralString, mode: sub},
			{find: "--mount=type=secret,id=npmrc", at: "--mount", want: chroma.NameAttribute},
			{find: "--network=none", at: "--network", want: chroma.NameAttribute},
			{find: "--network=none", at: "none", want: chroma.LiteralString, mode: sub},
			{find: "--security=insecure", at: "--security", want: chroma.NameAttribute},
			{find: "--device=nvidia.com/gpu=all", at: "--device", want: chroma.NameAttribute},
			{find: `RUN ["/bin/sh"`, at: "[", want: chroma.Punctuation},
		},
		"copy-flags.Dockerfile": {
			{find: "--chown=${APP_UID}", at: "${APP_UID}", want: chroma.NameVariable},
			{find: "--chmod=0644", at: "--chmod", want: chroma.NameAttribute},
			{find: "--link", want: chroma.NameAttribute},
			{find: "--parents", want: chroma.NameAttribute},
			{find: "--exclude=*.md", at: "--exclude", want: chroma.NameAttribute},
			{find: "--exclude=*.md", at: "*.md", want: chroma.LiteralString, mode: sub},
			{find: "--keep-git-dir=true", at: "--keep-git-dir", want: chroma.NameAttribute},
			{find: "--checksum=sha256:", at: "--checksum", want: chroma.NameAttribute},
			{find: `["with space.txt", "/opt/with space.txt"]`, at: `"with space.txt"`, want: chroma.LiteralStringDouble},
			{find: `COPY ["$APP_UID.txt"`, at: "$APP_UID", want: chroma.NameVariable},
			{find: "-- --weird-name", at: "--", want: chroma.Operator},
			{find: "-- --weird-name", at: "--weird-name", want: chroma.LiteralString, mode: sub},
		},
		"multiplatform.Dockerfile": {
			{find: "ARG XX_VERSION=1.4.0", at: "ARG", want: chroma.Keyword},
			{find: "${BUILDPLATFORM}", want: chroma.NameVariable},
			{find: "--platform=$TARGETPLATFORM", at: "$TARGETPLATFORM", want: chroma.NameVariable},
			{find: "AS xx", at: "xx", want: chroma.NameLabel},
			{find: "--from=xx", at: "xx", want: chroma.LiteralString, mode: sub},
		},
		"onbuild.Dockerfile": {
			{find: "ONBUILD ARG NODE_ENV", at: "ARG", want: chroma.Keyword},
			{find: "ONBUILD ENV NODE_ENV $NODE_ENV", at: "$NODE_ENV", want: chroma.NameVariable},
			{find: "ONBUILD RUN npm", at: "RUN", want: chroma.Keyword},
			{find: "ONBUILD COPY --chown", at: "--chown", want: chroma.NameAttribute},
			{find: "ONBUILD RUN <<EOF", at: "EOF", want: chroma.NameConstant},
			{find: "FROM inside an onbuild heredoc", want: chroma.Keyword, mode: notCat},
			{find: "ONBUILD HEALTHCHECK CMD", at: "HEALTHCHECK", want: chroma.Keyword},
			{find: "ONBUILD HEALTHCHECK CMD", at: "CMD", want: chroma.Keyword},
			{find: "onbuild user node", at: "onbuild", want: chroma.Keyword},
			{find: "onbuild user node", at: "user", want: chroma.Keyword},
		},
		"healthcheck.Dockerfile": {
			{find: "--interval=5s", at: "--interval", want: chroma.NameAttribute},
			{find: "--start-interval=1s", at: "--start-interval", want: chroma.NameAttribute},
			{find: "--retries=5", at: "5", want: chroma.LiteralString, mode: sub},
			{find: "  CMD redis-cli", at: "CMD", want: chroma.Keyword},
			{find: "HEALTHCHECK NONE", at: "NONE", want: chroma.KeywordConstant},
			{find: `CMD ["pg_isready"`, at: "[", want: chroma.Punctuation},
			{find: "AS nohealth", at: "nohealth", want: chroma.NameLabel},
			{find: "healthcheck --timeout=2s cmd", at: "cmd", want: chroma.Keyword},
		},
		"windows-powershell.Dockerfile": {
			{find: "# escape=`", want: chroma.CommentPreproc},
			{find: "-f $env:GIT_DOWNLOAD_URL); `\n", at: "`", want: chroma.Punctuation},
			{find: "    `\n", at: "`", want: chroma.Punctuation},
			{find: "# the comment lines inside a continuation", want: chroma.Comment},
			{find: "$env:GIT_DOWNLOAD_URL", want: chroma.NameVariable, chroma: true},
			{find: "Invoke-WebRequest", want: chroma.NameBuiltin, chroma: true},
			{find: `SHELL ["powershell"`, at: `"powershell"`, want: chroma.LiteralStringDouble},
			{find: `WORKDIR C:\app`, at: `C:\app`, want: chroma.LiteralString},
			{find: `COPY ["app\\bin"`, at: `\\`, want: chroma.LiteralStringEscape},
			{find: "${GIT_VERSION}", want: chroma.NameVariable},
		},
		"windows-cmd.Dockerfile": {
			{find: "# escape=`", want: chroma.CommentPreproc},
			{find: "# syntax=docker/dockerfile:1", want: chroma.CommentPreproc},
			{find: "C:\\app `\n", at: "`", want: chroma.Punctuation},
			{find: "LOG_DIR=C:\\logs", at: "LOG_DIR", want: chroma.NameVariable},
			{find: "RUN mkdir %LOG_DIR%", at: "mkdir", want: chroma.Keyword, chroma: true},
			{find: "RUN mkdir %LOG_DIR%", at: "%LOG_DIR%", want: chroma.NameVariable, chroma: true},
			{find: "does not continue\" \\\nCMD", at: "CMD", want: chroma.Keyword},
			{find: "does not continue\" \\\nCMD", at: "\\", want: chroma.Punctuation, mode: notCat},
		},
		"comments-in-continuation.Dockerfile": {
			{find: "# install the build tools", want: chroma.Comment},
			{find: "# a comment at column 0 inside the continuation", want: chroma.Comment},
			{find: "# comment between variables", want: chroma.Comment},
			{find: "    B=2", at: "B", want: chroma.NameVariable},
			{find: "# FROM is not an instruction here", want: chroma.Comment},
			{find: `two="2"`, at: "two", want: chroma.NameProperty},
			{find: "RUN echo next instruction", at: "RUN", want: chroma.Keyword},
			{find: "     # comment", at: "# comment", want: chroma.Comment},
			{find: "     /dest/", at: "/dest/", want: chroma.LiteralString},
		},
		"crlf.Dockerfile": {
			{find: "AS base\r\n", at: "base", want: chroma.NameLabel},
			{find: "AS base\r\n", at: "\r\n", want: chroma.TextWhitespace},
			{find: "# comment with CRLF", want: chroma.Comment},
			{find: "curl \\\r\n", at: "\\", want: chroma.Punctuation},
			{find: "FROM is not an instruction", want: chroma.Keyword, mode: notCat},
			{find: "\r\nEOF\r\n", at: "EOF", want: chroma.NameConstant},
			{find: "\tEOT\r\n", at: "EOT", want: chroma.NameConstant},
			{find: "\tkey=value", want: chroma.LiteralString, mode: sub},
			{find: `"echo crlf"`, want: chroma.LiteralStringDouble},
		},
		"lowercase.Dockerfile": {
			{find: "from alpine:3.20 as build", at: "from", want: chroma.Keyword},
			{find: "from alpine:3.20 as build", at: "as", want: chroma.Keyword},
			{find: "from alpine:3.20 as build", at: "build", want: chroma.NameLabel},
			{find: "env app_version", at: "app_version", want: chroma.NameVariable},
			{find: "copy --from=build", at: "--from", want: chroma.NameAttribute},
			{find: "expose 8080/udp", at: "udp", want: chroma.NameBuiltin},
			{find: "healthcheck none", at: "none", want: chroma.KeywordConstant},
			{find: "cmd --help", at: "--help", want: chroma.NameAttribute},
			{find: "maintainer Jane", at: "maintainer", want: chroma.Keyword},
			{find: "From Alpine As Final", at: "As", want: chroma.Keyword},
			{find: "From Alpine As Final", at: "Final", want: chroma.NameLabel},
			{find: "Run echo mixed case", at: "Run", want: chroma.Keyword},
		},
		"exec-forms.Dockerfile": {
			{find: `quote: \"`, at: `\"`, want: chroma.LiteralStringEscape},
			{find: `\u00e9`, want: chroma.LiteralStringEscape},
			{find: `\t unicode`, at: `\t`, want: chroma.LiteralStringEscape},
			{find: `"multi", \`, at: `\`, want: chroma.Punctuation},
			{find: `"exec"]`, at: "]", want: chroma.Punctuation},
			{find: "${APP}", want: chroma.NameVariable},
			{find: `"echo $HOME`, at: "$HOME", want: chroma.LiteralStringDouble},
			{find: `CMD [ ]`, at: "]", want: chroma.Punctuation},
			{find: `"unicode ☃ snowman"`, want: chroma.LiteralStringDouble},
		},
		"labels.Dockerfile": {
			{find: "org.opencontainers.image.title", want: chroma.NameProperty},
			{find: `"com.example.quoted-key"`, want: chroma.NameProperty},
			{find: `\"quotes\"`, at: `\"`, want: chroma.LiteralStringEscape},
			{find: "$BUILD_DATE", want: chroma.NameVariable},
			{find: "'Example, Inc.'", want: chroma.LiteralStringSingle},
			{find: `value\ with`, at: `\ `, want: chroma.LiteralStringEscape},
			{find: "LABEL version 1.0", at: "version", want: chroma.NameProperty},
			{find: "LABEL version 1.0", at: "1.0", want: chroma.LiteralString},
			{find: "multi.label2", want: chroma.NameProperty},
			{find: "illustrates \\\nthat", at: "\\", want: chroma.Punctuation},
			{find: "that label-values", want: chroma.LiteralStringDouble},
		},
		"env-arg.Dockerfile": {
			{find: "FROM ${BASE}", at: "${BASE}", want: chroma.NameVariable},
			{find: "ARG USER=app UID=1000", at: "UID", want: chroma.NameVariable},
			{find: "ARG EMPTY", at: "EMPTY", want: chroma.NameVariable},
			{find: "${UID:-1000}", want: chroma.NameVariable},
			{find: `"John Doe"`, want: chroma.LiteralStringDouble},
			{find: "ENV LEGACY value", at: "LEGACY", want: chroma.NameVariable},
			{find: "ENV LEGACY value", at: "value", want: chroma.LiteralString},
			{find: "spaces and $VAR", at: "$VAR", want: chroma.NameVariable},
			{find: "${B:-default}", want: chroma.NameVariable},
			{find: "'single $NOT_EXPANDED'", want: chroma.LiteralStringSingle},
			{find: `\$NOT_A_VAR`, at: `\$`, want: chroma.LiteralStringEscape},
			{find: `\$NOT_A_VAR`, at: "NOT_A_VAR", want: chroma.LiteralString},
			{find: "${MY_DOG} $HOME", at: "${MY_DOG}", want: chroma.NameVariable},
			{find: "USER ${USER}:${UID}", at: "${UID}", want: chroma.NameVariable},
		},
		"directives.Dockerfile": {
			{find: "#syntax = docker/dockerfile:1.7", want: chroma.CommentPreproc},
			{find: "#\tcheck=skip=JSONArgsRecommended;error=true", want: chroma.CommentPreproc},
			{find: `# escape=\`, want: chroma.CommentPreproc},
			{find: "# syntax=this/is-now-a-comment:1", want: chroma.Comment},
		},
		"directive-late.Dockerfile": {
			{find: "# escape=`", want: chroma.Comment},
			{find: "backslash \\\n", at: "\\", want: chroma.Punctuation},
			{find: "# syntax=docker/dockerfile:1", want: chroma.Comment},
		},
		"unknown-directive.Dockerfile": {
			{find: "# unknowndirective=value", want: chroma.Comment},
			{find: "# escape=`", want: chroma.Comment},
			{find: "echo \\\n", at: "\\", want: chroma.Punctuation},
		},
		"bom.Dockerfile": {
			{find: "\ufeff", want: chroma.Text},
			{find: "# syntax=docker/dockerfile:1", want: chroma.CommentPreproc},
		},
		"continuation-edges.Dockerfile": {
			{find: "\t\tRUN\techo", at: "RUN", want: chroma.Keyword},
			{find: "tabs   \\   \n", at: "\\", want: chroma.Punctuation},
			{find: "\n\\\nRUN", at: "\\", want: chroma.Punctuation},
			{find: "\n\\\nRUN", at: "RUN", want: chroma.Keyword},
			{find: "# indented comment", want: chroma.Comment},
			{find: "end of file\" \\\n", at: "\\", want: chroma.Punctuation},
		},
		"windows-crlf.Dockerfile": {
			{find: "echo one && `\r\n", at: "`", want: chroma.Punctuation},
			{find: "hello from a CRLF heredoc", want: chroma.LiteralString, mode: sub},
			{find: "\r\nEOF\r\n", at: "EOF", want: chroma.NameConstant},
		},
		"no-trailing-newline.Dockerfile": {
			{find: "\" \\\n", at: "\\", want: chroma.Punctuation},
		},
		"expose-ports.Dockerfile": {
			{find: "443/tcp", at: "443", want: chroma.LiteralNumberInteger},
			{find: "53/udp", at: "udp", want: chroma.NameBuiltin},
			{find: "8000-8010/tcp", at: "-", want: chroma.Punctuation},
			{find: "8000-8010/tcp", at: "8010", want: chroma.LiteralNumberInteger},
			{find: "${HTTP_PORT}/tcp", at: "${HTTP_PORT}", want: chroma.NameVariable},
			{find: "80/sctp", at: "sctp", want: chroma.NameBuiltin},
			{find: "       8443", at: "8443", want: chroma.LiteralNumberInteger},
		},
		"distroless-static.Dockerfile": {
			{find: "FROM scratch", at: "scratch", want: chroma.NameBuiltin},
			{find: "USER 65532:65532", at: "65532:65532", want: chroma.LiteralString},
		},
		"rust.Dockerfile": {
			{find: "AS chef", at: "chef", want: chroma.NameLabel},
			{find: "FROM chef AS planner", at: "planner", want: chroma.NameLabel},
			{find: "sharing=locked", want: chroma.LiteralString, mode: sub},
		},
		"dotnet.Dockerfile": {
			{find: "USER $APP_UID", at: "$APP_UID", want: chroma.NameVariable},
			{find: "--link", want: chroma.NameAttribute},
		},
		"java-maven.Dockerfile": {
			{find: `["java","-cp"`, at: ",", want: chroma.Punctuation},
			{find: "VOLUME /tmp", at: "VOLUME", want: chroma.Keyword},
		},
		"ruby-rails.Dockerfile": {
			{find: "# syntax = docker/dockerfile:1", want: chroma.CommentPreproc},
			{find: "$RUBY_VERSION-slim", at: "$RUBY_VERSION", want: chroma.NameVariable},
			{find: `RAILS_ENV="production"`, at: "RAILS_ENV", want: chroma.NameVariable},
			{find: "FROM base AS build", at: "build", want: chroma.NameLabel},
		},
		"php-apache.Dockerfile": {
			{find: "# set recommended PHP.ini settings", want: chroma.Comment},
			{find: "VOLUME /var/www/html", at: "/var/www/html", want: chroma.LiteralString},
		},
		"malformed.Dockerfile": {
			{find: "NOTANINSTRUCTION foo bar", want: chroma.Text},
			{find: "FROM alpine AS\n", at: "AS", want: chroma.Keyword},
			{find: "stage extra words", at: "stage", want: chroma.NameLabel},
			{find: "ONBUILD ONBUILD RUN x", at: "RUN", want: chroma.Keyword},
			{find: "this body runs", want: chroma.LiteralString, mode: sub},
			{find: "FROM not an instruction", want: chroma.Keyword, mode: notCat},
		},
	}
	for _, cfg := range shellConfigs {
		withRegistry(cfg.reg, func() {
			for name, spots := range tests {
				t.Run(cfg.name+"/"+name, func(t *testing.T) {
					data, err := os.ReadFile(filepath.Join("testdata", "corpus", name))
					if err != nil {
						t.Fatal(err)
					}
					src := string(data)
					toks := tokenise(t, src)
					checkInvariants(t, src, toks)
					for _, s := range spots {
						if !s.chroma || cfg.reg != nil {
							checkSpot(t, src, toks, s)
						}
					}
				})
			}
		})
	}
}

func TestSnippets(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		spots []spot
	}{
		{"empty", "", nil},
		{"only newlines", "\n\r\n\n", nil},
		{"no trailing newline", "FROM x AS y", []spot{
			{find: "AS", want: chroma.Keyword},
			{find: "y", want: chroma.NameLabel},
		}},
		{"directive only after nothing", "# syntax=docker/dockerfile:1", []spot{
			{find: "# syntax=docker/dockerfile:1", want: chroma.CommentPreproc},
		}},
		{"directive after blank line is a comment", "\n# syntax=docker/dockerfile:1\nFROM x\n", []spot{
			{find: "# syntax", want: chroma.Comment},
		}},
		{"repeated directive ends the directives", "# escape=`\n# escape=\\\nFROM x\nRUN a `\n b\n", []spot{
			{find: "# escape=`", want: chroma.CommentPreproc},
			{find: "# escape=\\", want: chroma.Comment},
			{find: "`\n", nth: 2, at: "`", want: chroma.Punctuation},
		}},
		{"escape directive case-insensitive key", "# ESCAPE = `\nRUN a \\\nFROM x\n", []spot{
			{find: "# ESCAPE = `", want: chroma.CommentPreproc},
			{find: "FROM", want: chroma.Keyword},
		}},
		{"heredoc terminator must match exactly", "RUN <<EOF\n  EOF\nEOF \nFROM x\nEOF\nFROM y\n", []spot{
			{find: "FROM x", want: chroma.Keyword, mode: notCat},
			{find: "FROM y", at: "FROM", want: chroma.Keyword},
		}},
		{"chomp strips tabs only", "RUN <<-EOF\n  EOF\n\t\tEOF\nFROM y\n", []spot{
			{find: "  EOF", want: chroma.NameConstant, mode: notCat},
			{find: "\t\tEOF", at: "EOF", want: chroma.NameConstant},
			{find: "FROM y", at: "FROM", want: chroma.Keyword},
		}},
		{"exec form has no heredocs", "RUN [\"sh\", \"-c\", \"cat <<EOF\"]\nFROM x\n", []spot{
			{find: "FROM x", at: "FROM", want: chroma.Keyword},
		}},
		{"quoted << is not a heredoc", "RUN echo \"<<EOF\" '<<EOF' a<<EOF\nFROM x\n", []spot{
			{find: "FROM x", at: "FROM", want: chroma.Keyword},
		}},
		{"heredoc only for RUN COPY ADD", "CMD cat <<EOF\nFROM x\n", []spot{
			{find: "FROM x", at: "FROM", want: chroma.Keyword},
		}},
		{"heredoc after continuation", "RUN cat \\\n  <<EOF\nFROM body\nEOF\n", []spot{
			{find: "FROM body", want: chroma.Keyword, mode: notCat},
			{find: "\nEOF\n", at: "EOF", want: chroma.NameConstant},
		}},
		{"heredoc with escaped delimiter", "RUN <<\\EOF\necho $HOME\nEOF\n", []spot{
			{find: "\nEOF\n", at: "EOF", want: chroma.NameConstant},
		}},
		{"heredoc delimiter with quotes in the middle", "COPY <<E\"O\"F /x\n$A\nEOF\n", []spot{
			{find: "$A", want: chroma.LiteralStringHeredoc},
			{find: "\nEOF\n", at: "EOF", want: chroma.NameConstant},
		}},
		{"heredoc body at end without terminator", "COPY <<EOF /x\nFROM a", []spot{
			{find: "FROM a", want: chroma.LiteralStringHeredoc},
		}},
		{"onbuild copy heredoc", "ONBUILD COPY <<EOF /x\nRUN y\nEOF\n", []spot{
			{find: "RUN y", want: chroma.LiteralStringHeredoc},
		}},
		{"continuation inside exec form", "CMD [\"a\", \\\n  \"b\"]\n", []spot{
			{find: `"b"`, want: chroma.LiteralStringDouble},
			{find: "\\", want: chroma.Punctuation},
		}},
		{"empty continuation line", "RUN a \\\n\n  b\nFROM x\n", []spot{
			{find: "FROM", want: chroma.Keyword},
		}},
		{"escaped escape is no continuation", "RUN echo \\\\\nFROM x\n", []spot{
			{find: "FROM", want: chroma.Keyword},
		}},
		{"backtick escape", "# escape=`\nRUN dir c:\\ `\n  && echo\nCOPY a\\ b\n", []spot{
			{find: "`\n", nth: 2, at: "`", want: chroma.Punctuation},
			{find: "COPY", want: chroma.Keyword},
		}},
		{"shell resets at FROM", "SHELL [\"pwsh\", \"-c\"]\nRUN $x = 1\nFROM y\nRUN echo $x\n", []spot{
			{find: "echo", want: chroma.NameBuiltin},
		}},
		{"flags with quotes", "RUN --mount=type=secret,id=\"a b\" echo\n", []spot{
			{find: "--mount", want: chroma.NameAttribute},
			{find: `"a b"`, want: chroma.LiteralStringDouble},
			{find: "echo", want: chroma.NameBuiltin},
		}},
		{"double dash ends flags", "COPY -- --from=x /y\n", []spot{
			{find: "--from", want: chroma.NameAttribute, mode: notCat},
		}},
		{"lone CR inside a line", "RUN echo a\rb\nFROM x\n", []spot{
			{find: "FROM", want: chroma.Keyword},
		}},
		{"CRLF terminator for heredoc", "RUN <<EOF\r\nFROM a\r\nEOF\r\nFROM b\r\n", []spot{
			{find: "FROM a", want: chroma.Keyword, mode: notCat},
			{find: "FROM b", at: "FROM", want: chroma.Keyword},
		}},
		{"invalid UTF-8", "FROM \xff\xfe AS \xc3\nRUN echo \xe2\x82\n", nil},
		{"unicode whitespace", "FROM\u00a0x\nRUN\u2003echo\n", nil},
		{"unknown instruction", "BOGUS x\n", []spot{
			{find: "BOGUS x", want: chroma.Text},
		}},
		{"healthcheck cmd exec", "HEALTHCHECK --retries=3 CMD [\"curl\", \"-f\", \"http://x\"]\n", []spot{
			{find: "CMD", want: chroma.Keyword},
			{find: `"curl"`, want: chroma.LiteralStringDouble},
		}},
	}
	for _, cfg := range shellConfigs {
		withRegistry(cfg.reg, func() {
			for _, tt := range tests {
				t.Run(cfg.name+"/"+tt.name, func(t *testing.T) {
					toks := tokenise(t, tt.src)
					checkInvariants(t, tt.src, toks)
					for _, s := range tt.spots {
						if !s.chroma || cfg.reg != nil {
							checkSpot(t, tt.src, toks, s)
						}
					}
				})
			}
		})
	}
}

// TestEnsureLFIgnored pins the documented choice: the round trip holds
// whatever the options say.
func TestEnsureLFIgnored(t *testing.T) {
	src := "FROM x\r\nRUN a \\\r\n  b\r\n"
	for _, opts := range []*chroma.TokeniseOptions{nil, {State: "root", EnsureLF: true}, {Nested: true}} {
		it, err := Lexer.Tokenise(opts, src)
		if err != nil {
			t.Fatal(err)
		}
		checkInvariants(t, src, it.Tokens())
	}
}

func TestHTMLFormatterHasNoErrors(t *testing.T) {
	for _, cfg := range shellConfigs {
		withRegistry(cfg.reg, func() { checkHTML(t) })
	}
}

func checkHTML(t *testing.T) {
	f := html.New(html.WithClasses(true))
	for _, path := range corpusFiles(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		it, err := Lexer.Tokenise(nil, string(data))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := f.Format(&buf, styles.Get("github"), it); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if strings.Contains(out, `class="err"`) {
			t.Errorf("%s: HTML output contains class=\"err\"", path)
		}
		if !strings.Contains(out, `class="k"`) {
			t.Errorf("%s: HTML output has no keyword", path)
		}
	}
}

func TestConfig(t *testing.T) {
	c := Lexer.Config()
	if c.Name != "Dockerfile" {
		t.Errorf("Name = %q", c.Name)
	}
	if got := strings.Join(c.Aliases, ","); got != "docker,dockerfile,containerfile" {
		t.Errorf("Aliases = %s", got)
	}
	if got := strings.Join(c.Filenames, ","); got != "Dockerfile,Dockerfile.*,*.Dockerfile,Containerfile" {
		t.Errorf("Filenames = %s", got)
	}
	c.Name = "mutated"
	if Lexer.Config().Name != "Dockerfile" {
		t.Error("Config() exposes internal state")
	}
}

func TestRegistry(t *testing.T) {
	reg := chroma.NewLexerRegistry()
	reg.Register(Lexer)
	defer Lexer.SetRegistry(nil)
	for _, name := range []string{"Dockerfile", "docker", "dockerfile", "containerfile"} {
		if reg.Get(name) != Lexer {
			t.Errorf("Get(%q) did not return Lexer", name)
		}
	}
	for _, name := range []string{"Dockerfile", "Dockerfile.prod", "api.Dockerfile", "Containerfile"} {
		if reg.Match(name) != Lexer {
			t.Errorf("Match(%q) did not return Lexer", name)
		}
	}
	// The registry has no bash lexer: lookups fall back to internal/lexers.
	toks := tokenise(t, "RUN echo hi\n")
	checkSpot(t, "RUN echo hi\n", toks, spot{find: "echo", want: chroma.NameBuiltin})
}

func TestAnalyse(t *testing.T) {
	if got := Lexer.AnalyseText("# syntax=docker/dockerfile:1\n\nARG X\nFROM a\n"); got < 0.5 {
		t.Errorf("AnalyseText(Dockerfile) = %v", got)
	}
	if got := Lexer.AnalyseText("package main\n"); got != 0 {
		t.Errorf("AnalyseText(Go) = %v", got)
	}
	Lexer.SetAnalyser(func(string) float32 { return 0.25 })
	if got := Lexer.AnalyseText("x"); got != 0.25 {
		t.Errorf("custom analyser: %v", got)
	}
	Lexer.SetAnalyser(nil)
	if got := Lexer.AnalyseText("package main\n"); got != 0 {
		t.Errorf("after reset: %v", got)
	}
}

// TestConcurrent runs Tokenise from several goroutines (meaningful with
// -race): the lexer is a shared package variable.
func TestConcurrent(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "corpus", "heredoc-run.Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				it, err := Lexer.Tokenise(nil, string(data))
				if err != nil {
					t.Error(err)
					return
				}
				_ = it.Tokens()
			}
		}()
	}
	wg.Wait()
}

// BenchmarkTokenise lexes a 38-line multi-stage Dockerfile, with the
// project's shell lexer (the default) and with chroma's bash lexer.
func BenchmarkTokenise(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "corpus", "golang.Dockerfile"))
	if err != nil {
		b.Fatal(err)
	}
	src := string(data)
	for _, cfg := range shellConfigs {
		b.Run(cfg.name, func(b *testing.B) {
			withRegistry(cfg.reg, func() {
				b.SetBytes(int64(len(src)))
				b.ReportAllocs()
				for b.Loop() {
					it, _ := Lexer.Tokenise(nil, src)
					for tok := it(); tok != chroma.EOF; tok = it() {
					}
				}
			})
		})
	}
}
