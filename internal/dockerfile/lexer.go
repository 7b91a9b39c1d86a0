// Package dockerfile provides a chroma (v2) lexer for Dockerfiles and
// Containerfiles that follows the grammar of Docker's own parser
// (github.com/moby/buildkit/frontend/dockerfile/parser) instead of a set of
// regular expressions.
//
// Contract of [Lexer]:
//
//   - Round trip: concatenating the Value of every emitted token gives back
//     the input byte for byte, including CRLF line endings, a UTF-8 BOM and a
//     missing final newline. TokeniseOptions.EnsureLF is deliberately ignored
//     (see [Lexer]).
//   - No chroma.Error token is ever emitted, whatever the input: text the
//     lexer cannot classify is emitted as chroma.Text. Tokens coming from the
//     delegated shell lexers are sanitised the same way, and a delegated
//     lexer that fails, panics or does not reproduce its input is replaced
//     by a plain token.
//   - Token kinds:
//     instructions (FROM, RUN, ..., the instruction after ONBUILD, the CMD of
//     HEALTHCHECK) and the AS of FROM are chroma.Keyword; HEALTHCHECK NONE is
//     chroma.KeywordConstant; stage names are chroma.NameLabel; --flags are
//     chroma.NameAttribute, followed by chroma.Operator "=" and a value in the
//     chroma.LiteralString sub-category; $VAR, ${VAR} and ${VAR:-default} are
//     chroma.NameVariable (in instructions Docker expands); ENV and ARG names
//     are chroma.NameVariable, LABEL keys chroma.NameProperty; EXPOSE ports
//     are chroma.LiteralNumberInteger with the protocol as chroma.NameBuiltin;
//     parser directives are chroma.CommentPreproc and other comments
//     chroma.Comment; exec (JSON) forms use chroma.Punctuation for [ , ] and
//     chroma.LiteralStringDouble / chroma.LiteralStringEscape for the strings;
//     line-continuation characters are chroma.Punctuation; whitespace and
//     newlines are chroma.TextWhitespace; heredoc operators (<<, <<-) are
//     chroma.Operator and heredoc delimiters (in the instruction and on the
//     terminator line) chroma.NameConstant.
//   - Shell form of RUN, CMD, ENTRYPOINT and HEALTHCHECK CMD is delegated to
//     the lexer named "bash"; a SHELL instruction naming powershell/pwsh or
//     cmd switches to "powershell" or "batchfile" until the next FROM. In a
//     file with "# escape=`" (in practice a Windows image, whose default
//     shell is cmd) each stage starts with "batchfile". These names are
//     looked up in the registry given to SetRegistry (e.g. chroma's
//     lexers.GlobalLexerRegistry), then in multistage/internal/lexers, the
//     project's own linear-time lexers (which has bash but neither
//     PowerShell nor cmd); a shell with no lexer shows as plain text. The
//     package deliberately does not import chroma/v2/lexers: that costs a
//     binary about 100 ms of start-up (see internal/lexers).
//   - Heredoc bodies (RUN, COPY, ADD, also after ONBUILD) are never lexed as
//     instructions: a RUN heredoc that is the script itself, or is fed to a
//     shell (bash <<EOF), is lexed by the shell lexer unless a shebang names
//     another interpreter; every other body (COPY/ADD, python3 <<EOF,
//     cat <<EOF >file) is chroma.LiteralStringHeredoc, with variables
//     highlighted when the delimiter is unquoted.
//   - Parser directives (syntax, escape, check) are recognised only at the
//     top of the file, as Docker does; "# escape=`" switches the escape and
//     line-continuation character for the rest of the file.
package dockerfile

import (
	"regexp"
	"strings"
	"sync/atomic"

	"github.com/alecthomas/chroma/v2"
	"multistage/internal/lexers"
)

// Lexer is a chroma lexer for Dockerfiles; Config().Name is "Dockerfile",
// aliases "docker", "dockerfile", "containerfile", filenames "Dockerfile",
// "Dockerfile.*", "*.Dockerfile", "Containerfile".
//
// Tokenise never returns an error and never emits chroma.Error tokens. The
// tokens always reproduce the input exactly: TokeniseOptions.EnsureLF is
// ignored because callers map token offsets back onto the original bytes,
// and CRLF is a legitimate Dockerfile line ending. TokeniseOptions.State is
// ignored too (there is only one entry state).
//
// The package does not register Lexer anywhere; callers that want a
// registry to return it call registry.Register(Lexer), which also makes that
// registry the first place shell lexers are looked up (SetRegistry). Lexer is
// one shared value, so the last SetRegistry wins for every user. Its
// Priority is higher than chroma's built-in "Docker" lexer's so that
// registry.Match("Dockerfile") prefers it when both are registered.
var Lexer chroma.Lexer = &lexer{}

type lexer struct {
	// registry and analyser are set through SetRegistry/SetAnalyser, which
	// may be called while another goroutine tokenises; atomics keep that
	// race free without a lock on the hot path.
	registry atomic.Pointer[chroma.LexerRegistry]
	analyser atomic.Pointer[func(string) float32]
}

// Config returns a fresh copy each time so that a caller mutating the result
// cannot change the lexer for everybody else.
func (l *lexer) Config() *chroma.Config {
	return &chroma.Config{
		Name:      "Dockerfile",
		Aliases:   []string{"docker", "dockerfile", "containerfile"},
		Filenames: []string{"Dockerfile", "Dockerfile.*", "*.Dockerfile", "Containerfile"},
		MimeTypes: []string{"text/x-dockerfile-config"},
		Priority:  2,
	}
}

// Tokenise implements chroma.Lexer. The whole input is scanned eagerly; the
// returned iterator walks the resulting slice.
func (l *lexer) Tokenise(_ *chroma.TokeniseOptions, text string) (chroma.Iterator, error) {
	s := newScanner(text, l.lookup)
	return chroma.Literator(s.run()...), nil
}

// SetRegistry implements chroma.Lexer. The registry is consulted first when
// looking up the shell lexers; internal/lexers is the fallback.
func (l *lexer) SetRegistry(registry *chroma.LexerRegistry) chroma.Lexer {
	l.registry.Store(registry)
	return l
}

// SetAnalyser implements chroma.Lexer; a non-nil analyser replaces the
// built-in heuristic of AnalyseText.
func (l *lexer) SetAnalyser(analyser func(text string) float32) chroma.Lexer {
	if analyser == nil {
		l.analyser.Store(nil)
	} else {
		l.analyser.Store(&analyser)
	}
	return l
}

// reAnalyse matches the first instruction of a typical Dockerfile: optional
// directives, comments and blank lines, then FROM or ARG.
var reAnalyse = regexp.MustCompile(`(?i)\A(?:\x{feff})?(?:[ \t]*(?:#[^\n]*)?\r?\n)*[ \t]*(FROM|ARG)[ \t]+\S`)

// AnalyseText implements chroma.Lexer. Without a custom analyser it returns
// 0.8 when the first instruction is FROM or ARG (every valid Dockerfile starts
// that way), 0 otherwise.
func (l *lexer) AnalyseText(text string) float32 {
	if a := l.analyser.Load(); a != nil {
		return (*a)(text)
	}
	if reAnalyse.MatchString(text) {
		return 0.8
	}
	return 0
}

// lookup finds a delegate lexer by name, preferring the registry the lexer
// was registered with.
func (l *lexer) lookup(name string) chroma.Lexer {
	if r := l.registry.Load(); r != nil {
		if x := r.Get(name); x != nil && !strings.EqualFold(x.Config().Name, "Dockerfile") {
			return x
		}
	}
	// The project's own shell lexer, not chroma's registry: importing
	// chroma/v2/lexers costs the served binary ~100 ms of start-up and
	// megabytes (see internal/lexers). Shells it lacks (PowerShell, cmd)
	// show as plain text.
	return lexers.Get(name)
}
