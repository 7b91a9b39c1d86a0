package dockerfile

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/alecthomas/chroma/v2"
)

// tokens accumulates chroma tokens. Empty values are dropped (chroma's
// iterator would treat an empty Token as EOF) and meta types such as
// chroma.Error, which a delegated lexer may produce, become chroma.Text.
type tokens []chroma.Token

func (ts *tokens) add(t chroma.TokenType, v string) {
	if v == "" {
		return
	}
	if t <= 0 {
		t = chroma.Text
	}
	*ts = append(*ts, chroma.Token{Type: t, Value: v})
}

// line is one physical line of the input: its content is src[start:end]
// and its terminator ("\n", "\r\n", or nothing on the last line) is
// src[end:next]. Like Docker's trimNewline, every trailing '\r' and '\n' of
// a line counts as terminator.
type line struct{ start, end, next int }

// scanner holds the state of one Tokenise call.
type scanner struct {
	src    string
	lines  []line
	lookup func(string) chroma.Lexer
	out    tokens

	// escape is the escape and line-continuation character: '\\' unless a
	// "# escape=`" directive changes it.
	escape byte
	// shell is the name of the lexer used for shell-form commands; the
	// SHELL instruction changes it until the next FROM.
	shell string
}

func newScanner(src string, lookup func(string) chroma.Lexer) *scanner {
	s := &scanner{src: src, lookup: lookup, escape: '\\', shell: shellBash}
	for p := 0; p < len(src); {
		next := len(src)
		if nl := strings.IndexByte(src[p:], '\n'); nl >= 0 {
			next = p + nl + 1
		}
		end := next
		for end > p && (src[end-1] == '\n' || src[end-1] == '\r') {
			end--
		}
		s.lines = append(s.lines, line{p, end, next})
		p = next
	}
	return s
}

func (s *scanner) content(i int) string    { return s.src[s.lines[i].start:s.lines[i].end] }
func (s *scanner) terminator(i int) string { return s.src[s.lines[i].end:s.lines[i].next] }

// defaultShell is the lexer for shell forms before any SHELL instruction of
// a stage. "# escape=`" is, in practice, only used for Windows images, whose
// default shell is cmd; everything else runs /bin/sh.
func (s *scanner) defaultShell() string {
	if s.escape == '`' {
		return shellBatch
	}
	return shellBash
}

// run tokenises the whole input.
func (s *scanner) run() []chroma.Token {
	s.out = make(tokens, 0, len(s.src)/4+1)
	// Docker strips a UTF-8 byte order mark before looking at the first line.
	if len(s.lines) > 0 && strings.HasPrefix(s.src, "\ufeff") {
		s.out.add(chroma.Text, "\ufeff")
		s.lines[0].start += len("\ufeff")
	}
	i := s.directives()
	s.shell = s.defaultShell()
	for i < len(s.lines) {
		i = s.statement(i)
	}
	return s.out
}

// reDirective is BuildKit's parser-directive syntax, applied to a line whose
// leading whitespace has been removed.
var reDirective = regexp.MustCompile(`^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`)

// directives consumes the parser directives at the top of the file and
// returns the index of the first line after them. As in BuildKit, the first
// line that is not a directive (an instruction, a blank line, a plain or an
// unknown-directive comment, a repeated directive) ends the directive block
// for good: later "# escape=..." lines are ordinary comments.
func (s *scanner) directives() int {
	seen := map[string]bool{}
	i := 0
	for ; i < len(s.lines); i++ {
		c := s.content(i)
		t := strings.TrimLeftFunc(c, unicode.IsSpace)
		m := reDirective.FindStringSubmatch(t)
		if m == nil {
			break
		}
		key := strings.ToLower(m[1])
		if (key != "syntax" && key != "escape" && key != "check") || seen[key] {
			break
		}
		seen[key] = true
		if key == "escape" && (m[2] == "`" || m[2] == `\`) {
			s.escape = m[2][0]
		}
		s.out.add(chroma.TextWhitespace, c[:len(c)-len(t)])
		s.out.add(chroma.CommentPreproc, t)
		s.out.add(chroma.TextWhitespace, s.terminator(i))
	}
	return i
}

// statement lexes what starts at line i: a blank line, a comment, or an
// instruction with its continuation lines and heredoc bodies. It returns the
// index of the next unconsumed line.
func (s *scanner) statement(i int) int {
	c := s.content(i)
	t := strings.TrimLeftFunc(c, unicode.IsSpace)
	switch {
	case t == "":
		s.out.add(chroma.TextWhitespace, c+s.terminator(i))
		return i + 1
	case t[0] == '#':
		s.out.add(chroma.TextWhitespace, c[:len(c)-len(t)])
		s.out.add(chroma.Comment, t)
		s.out.add(chroma.TextWhitespace, s.terminator(i))
		return i + 1
	}
	lg, next := s.gather(i)
	var ts tokens
	docs := s.instruction(&ts, lg.text, false)
	s.project(lg, ts)
	return s.bodies(next, docs)
}

// piece is a run of a physical line that belongs to a logical line: bytes
// src[orig:orig+n] appear in the logical text at log.
type piece struct {
	orig, log, n int
	// extras are the tokens that follow the piece in the source but are not
	// part of the logical line: the continuation character, trailing
	// blanks, line terminators, and the comment and empty lines Docker
	// drops inside a continued instruction.
	extras tokens
}

// logical is an instruction as Docker's parser sees it: the physical lines
// joined after removing continuation characters, comment lines and empty
// lines, plus what is needed to map it back onto the source.
type logical struct {
	text   string
	pieces []piece
}

// gather collects the logical line that starts at line i, following the
// rules of BuildKit's Parse: a line continues when it ends with the escape
// character (optionally followed by blanks) that is not itself escaped;
// inside a continuation, comment lines and whitespace-only lines are
// skipped. It returns the logical line and the index of the next line.
func (s *scanner) gather(i int) (*logical, int) {
	lg := &logical{}
	var b strings.Builder
	j := i
	for j < len(s.lines) {
		c, term := s.content(j), s.terminator(j)
		if j > i {
			t := strings.TrimLeftFunc(c, unicode.IsSpace)
			last := &lg.pieces[len(lg.pieces)-1].extras
			if t == "" {
				last.add(chroma.TextWhitespace, c+term)
				j++
				continue
			}
			if t[0] == '#' {
				last.add(chroma.TextWhitespace, c[:len(c)-len(t)])
				last.add(chroma.Comment, t)
				last.add(chroma.TextWhitespace, term)
				j++
				continue
			}
		}
		body, cont := s.splitContinuation(c)
		lg.pieces = append(lg.pieces, piece{orig: s.lines[j].start, log: b.Len(), n: len(body)})
		b.WriteString(body)
		ex := &lg.pieces[len(lg.pieces)-1].extras
		j++
		if !cont {
			ex.add(chroma.TextWhitespace, term)
			break
		}
		ex.add(chroma.Punctuation, c[len(body):len(body)+1])
		ex.add(chroma.TextWhitespace, c[len(body)+1:]+term)
	}
	lg.text = b.String()
	return lg, j
}

// splitContinuation reports whether line content c ends with a line
// continuation and returns c without it. It mirrors BuildKit's
// `([^\\])\\[ \t]*$|^\\[ \t]*$` for the current escape character.
func (s *scanner) splitContinuation(c string) (string, bool) {
	k := len(c)
	for k > 0 && (c[k-1] == ' ' || c[k-1] == '\t') {
		k--
	}
	if k == 0 || c[k-1] != s.escape || (k >= 2 && c[k-2] == s.escape) {
		return c, false
	}
	return c[:k-1], true
}

// project emits the tokens of a logical line, splitting them where the
// logical line was joined and inserting the extras of each piece there.
func (s *scanner) project(lg *logical, ts tokens) {
	// Defensive: the instruction lexers must cover the logical text exactly;
	// if a bug ever breaks that, degrade to plain text rather than corrupt
	// the round trip.
	var sb strings.Builder
	for _, t := range ts {
		sb.WriteString(t.Value)
	}
	if sb.String() != lg.text {
		ts = tokens{{Type: chroma.Text, Value: lg.text}}
	}
	pi, pos := 0, 0
	for _, t := range ts {
		v := t.Value
		for v != "" {
			for pi < len(lg.pieces)-1 && pos >= lg.pieces[pi].log+lg.pieces[pi].n {
				s.out = append(s.out, lg.pieces[pi].extras...)
				pi++
			}
			n := min(len(v), lg.pieces[pi].log+lg.pieces[pi].n-pos)
			if n <= 0 { // unreachable while the text check above holds
				n = len(v)
			}
			s.out.add(t.Type, v[:n])
			v = v[n:]
			pos += n
		}
	}
	for ; pi < len(lg.pieces); pi++ {
		s.out = append(s.out, lg.pieces[pi].extras...)
	}
}

// bodies lexes the heredoc bodies that follow an instruction, starting at
// line j, in the order the heredocs appear. Like BuildKit, a body ends at
// the first line equal to the delimiter (after removing leading tabs for
// <<-); an unterminated body runs to the end of the input.
func (s *scanner) bodies(j int, docs []heredoc) int {
	for _, h := range docs {
		k := j
		for ; k < len(s.lines); k++ {
			c := s.content(k)
			if h.chomp {
				c = strings.TrimLeft(c, "\t")
			}
			if c == h.name {
				break
			}
		}
		end := len(s.src)
		if k < len(s.lines) {
			end = s.lines[k].start
		}
		start := end
		if j < len(s.lines) {
			start = s.lines[j].start
		}
		s.body(h, s.src[start:end])
		if k == len(s.lines) {
			return k
		}
		c := s.content(k)
		t := strings.TrimLeft(c, "\t")
		s.out.add(chroma.TextWhitespace, c[:len(c)-len(t)])
		s.out.add(chroma.NameConstant, t)
		s.out.add(chroma.TextWhitespace, s.terminator(k))
		j = k + 1
	}
	return j
}

// body emits one heredoc body (all its lines, with their terminators).
func (s *scanner) body(h heredoc, text string) {
	if text == "" {
		return
	}
	lexer := h.lexer
	if h.script {
		// A heredoc that is the whole RUN command is written to a file and
		// executed; BuildKit honours a shebang there.
		if strings.HasPrefix(text, "#!") {
			first, _, _ := strings.Cut(text, "\n")
			lexer = shebangLexer(strings.TrimRight(first, "\r"))
		}
	}
	if lexer != "" {
		s.delegate(&s.out, lexer, text, chroma.LiteralStringHeredoc, false)
		return
	}
	for text != "" {
		ln, rest, found := strings.Cut(text, "\n")
		c := strings.TrimRight(ln, "\r")
		heredocText(&s.out, c, h.expand)
		term := ln[len(c):]
		if found {
			term += "\n"
		}
		s.out.add(chroma.TextWhitespace, term)
		text = rest
	}
}

// heredocText emits a data line of a heredoc. With an unquoted delimiter the
// shell (RUN) or BuildKit (COPY/ADD) expands variables in it, and a
// backslash escapes the next character.
func heredocText(ts *tokens, c string, expand bool) {
	if !expand {
		ts.add(chroma.LiteralStringHeredoc, c)
		return
	}
	r := refs{s: c}
	lit := 0
	for i := 0; i < len(c); {
		switch {
		case c[i] == '\\' && i+1 < len(c):
			ts.add(chroma.LiteralStringHeredoc, c[lit:i])
			n := 1 + runeLen(c, i+1)
			ts.add(chroma.LiteralStringEscape, c[i:i+n])
			i += n
			lit = i
		case c[i] == '$' && r.at(i) > 0:
			ts.add(chroma.LiteralStringHeredoc, c[lit:i])
			n := r.at(i)
			ts.add(chroma.NameVariable, c[i:i+n])
			i += n
			lit = i
		default:
			i++
		}
	}
	ts.add(chroma.LiteralStringHeredoc, c[lit:])
}

// delegate lexes text with the named chroma lexer. Whatever happens inside
// it (unknown lexer, error, panic, tokens that do not reproduce the text),
// the output reproduces text exactly: on failure text is emitted as one
// token of type fallback. Error tokens are turned into chroma.Text by add.
//
// eol marks text that ends a logical line: the line break is then shown to
// the sub-lexer too (and cut off its output again), because rules such as
// bash's builtin rule need to see what follows the last word.
func (s *scanner) delegate(ts *tokens, name, text string, fallback chroma.TokenType, eol bool) {
	if text == "" {
		return
	}
	in := text
	if eol {
		in += "\n"
	}
	if sub, ok := s.subTokens(name, in); ok {
		if eol {
			last := &sub[len(sub)-1]
			last.Value = last.Value[:len(last.Value)-1]
			if last.Value == "" {
				sub = sub[:len(sub)-1]
			}
		}
		if name == shellBash {
			braceVariables(sub)
		}
		for _, t := range sub {
			ts.add(t.Type, t.Value)
		}
		return
	}
	ts.add(fallback, text)
}

// braceVariables retypes the pieces chroma's bash lexer makes of a ${...}
// expansion ("${" and "}" as LiteralStringInterpol, ":-" as Keyword, the
// default as Punctuation...) as chroma.NameVariable, so that ${VAR:-default}
// looks the same in RUN as in the instructions Docker expands itself.
func braceVariables(ts []chroma.Token) {
	for i := 0; i < len(ts); i++ {
		if ts[i].Type != chroma.LiteralStringInterpol || !strings.HasPrefix(ts[i].Value, "${") {
			continue
		}
		depth, j := 0, i
		for ; j < len(ts); j++ {
			if ts[j].Type != chroma.LiteralStringInterpol {
				continue
			}
			if strings.HasPrefix(ts[j].Value, "${") {
				depth++
			} else if ts[j].Value == "}" {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		if j == len(ts) {
			return // unclosed: leave the bash lexer's tokens alone
		}
		for k := i; k <= j; k++ {
			ts[k].Type = chroma.NameVariable
		}
		i = j
	}
}

func (s *scanner) subTokens(name, text string) (out []chroma.Token, ok bool) {
	defer func() {
		if recover() != nil {
			out, ok = nil, false
		}
	}()
	l := s.lookup(name)
	if l == nil {
		return nil, false
	}
	// Nested with EnsureLF off: the sub-lexer must neither add a newline
	// nor rewrite CRLF, or the round trip would break.
	it, err := l.Tokenise(&chroma.TokeniseOptions{State: "root", Nested: true}, text)
	if err != nil {
		return nil, false
	}
	n := 0
	for t := it(); t != chroma.EOF; t = it() {
		if n+len(t.Value) > len(text) || text[n:n+len(t.Value)] != t.Value {
			return nil, false
		}
		n += len(t.Value)
		out = append(out, t)
	}
	return out, n == len(text)
}
