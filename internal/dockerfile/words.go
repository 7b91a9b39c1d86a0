package dockerfile

import (
	"encoding/json"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/alecthomas/chroma/v2"
)

// Names of the chroma lexers used for embedded shell code.
const (
	shellBash       = "bash"
	shellPowerShell = "powershell"
	shellBatch      = "batchfile"
)

// span is a half-open byte range [start, end) of a string.
type span struct{ start, end int }

// spaceLen returns the byte length of the whitespace rune at s[i] (as
// unicode.IsSpace, which Docker's word splitting uses), or 0.
func spaceLen(s string, i int) int {
	c := s[i]
	if c < utf8.RuneSelf {
		switch c {
		case ' ', '\t', '\n', '\v', '\f', '\r':
			return 1
		}
		return 0
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	if unicode.IsSpace(r) {
		return n
	}
	return 0
}

// spaces returns the index of the first non-whitespace byte at or after i.
func spaces(s string, i int) int {
	for i < len(s) {
		n := spaceLen(s, i)
		if n == 0 {
			break
		}
		i += n
	}
	return i
}

// runeLen returns the byte length of the rune at s[i] (1 for invalid UTF-8,
// 0 at the end of s), so that escapes never split a character.
func runeLen(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	if s[i] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRuneInString(s[i:])
	return n
}

func isNameStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool     { return c >= '0' && c <= '9' }
func isNameChar(c byte) bool  { return isNameStart(c) || isDigit(c) }

// refs finds variable references in one string: $NAME, or ${...} up to
// the matching brace (which covers ${VAR:-default}, ${VAR:+alt} and the
// pattern forms). The closing brace of every "${" is found by a single
// stack pass, done the first time one is needed, so that a line full of
// unclosed "${" costs linear rather than quadratic time.
type refs struct {
	s      string
	closes map[int]int // index of a "${" -> index after its matching "}"
	built  bool
}

// at returns the length of the reference starting at s[i], or 0 when there
// is none there (a lone "$", an unclosed "${").
func (r *refs) at(i int) int {
	s := r.s
	if i+1 >= len(s) || s[i] != '$' {
		return 0
	}
	if s[i+1] == '{' {
		if !r.built {
			r.build()
		}
		if end, ok := r.closes[i]; ok {
			return end - i
		}
		return 0
	}
	if !isNameStart(s[i+1]) {
		return 0
	}
	j := i + 2
	for j < len(s) && isNameChar(s[j]) {
		j++
	}
	return j - i
}

func (r *refs) build() {
	r.built = true
	var open []int
	for j := 0; j < len(r.s); j++ {
		switch r.s[j] {
		case '{':
			open = append(open, j)
		case '}':
			if n := len(open); n > 0 {
				o := open[n-1]
				open = open[:n-1]
				if o > 0 && r.s[o-1] == '$' {
					if r.closes == nil {
						r.closes = map[int]int{}
					}
					r.closes[o-1] = j + 1
				}
			}
		}
	}
}

// wordEnd returns the end of the word starting at i, the way Docker's
// parseWords and extractBuilderFlags delimit words: whitespace ends a word
// unless quoted, and the escape character protects the next character
// (except inside single quotes).
func wordEnd(s string, i int, esc byte) int {
	var quote byte
	for i < len(s) {
		c := s[i]
		if quote == 0 && spaceLen(s, i) > 0 {
			break
		}
		switch {
		case c == esc && quote != '\'':
			i += 1 + runeLen(s, i+1)
			continue
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case quote != 0 && c == quote:
			quote = 0
		}
		i++
	}
	return i
}

// dockerWords splits s into words with wordEnd.
func dockerWords(s string, esc byte) []span {
	var out []span
	for i := spaces(s, 0); i < len(s); i = spaces(s, i) {
		start := i
		i = wordEnd(s, i, esc)
		out = append(out, span{start, i})
	}
	return out
}

// value emits s, an argument that Docker processes with its shell-word
// lexer: quoted strings, escapes and (when expand) variable references are
// distinguished; whitespace is chroma.TextWhitespace, the rest
// chroma.LiteralString.
func value(ts *tokens, s string, esc byte, expand bool) {
	r := refs{s: s}
	lit := 0
	flush := func(i int) { ts.add(chroma.LiteralString, s[lit:i]) }
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == esc:
			flush(i)
			n := 1 + runeLen(s, i+1)
			ts.add(chroma.LiteralStringEscape, s[i:i+n])
			i += n
			lit = i
		case c == '$' && expand && r.at(i) > 0:
			flush(i)
			n := r.at(i)
			ts.add(chroma.NameVariable, s[i:i+n])
			i += n
			lit = i
		case c == '"':
			flush(i)
			i = doubleQuoted(ts, &r, i, esc, expand)
			lit = i
		case c == '\'':
			flush(i)
			end := len(s)
			if j := strings.IndexByte(s[i+1:], '\''); j >= 0 {
				end = i + j + 2
			}
			ts.add(chroma.LiteralStringSingle, s[i:end])
			i = end
			lit = i
		case spaceLen(s, i) > 0:
			flush(i)
			j := spaces(s, i)
			ts.add(chroma.TextWhitespace, s[i:j])
			i = j
			lit = i
		default:
			i++
		}
	}
	flush(len(s))
}

// doubleQuoted emits the double-quoted string starting at s[i] (an
// unterminated one runs to the end of s) and returns the index after it.
func doubleQuoted(ts *tokens, r *refs, i int, esc byte, expand bool) int {
	s := r.s
	lit := i
	for j := i + 1; j < len(s); {
		c := s[j]
		switch {
		case c == '"':
			ts.add(chroma.LiteralStringDouble, s[lit:j+1])
			return j + 1
		case c == esc:
			ts.add(chroma.LiteralStringDouble, s[lit:j])
			n := 1 + runeLen(s, j+1)
			ts.add(chroma.LiteralStringEscape, s[j:j+n])
			j += n
			lit = j
		case c == '$' && expand && r.at(j) > 0:
			ts.add(chroma.LiteralStringDouble, s[lit:j])
			n := r.at(j)
			ts.add(chroma.NameVariable, s[j:j+n])
			j += n
			lit = j
		default:
			j++
		}
	}
	ts.add(chroma.LiteralStringDouble, s[lit:])
	return len(s)
}

// plain emits s as whitespace and chroma.Text words, for trailing garbage
// Docker would reject.
func plain(ts *tokens, s string) {
	for i := 0; i < len(s); {
		j := spaces(s, i)
		ts.add(chroma.TextWhitespace, s[i:j])
		k := j
		for k < len(s) && spaceLen(s, k) == 0 {
			k++
		}
		ts.add(chroma.Text, s[j:k])
		i = k
	}
}

// execForm reports whether args is an exec form in Docker's sense: after
// leading whitespace, a JSON array of strings. Anything else (including
// invalid JSON) is the shell form, exactly as parseMaybeJSON decides.
func execForm(args string) ([]string, bool) {
	t := strings.TrimLeftFunc(args, unicode.IsSpace)
	if !strings.HasPrefix(t, "[") {
		return nil, false
	}
	var v []any
	if json.Unmarshal([]byte(t), &v) != nil {
		return nil, false
	}
	out := make([]string, 0, len(v))
	for _, e := range v {
		str, ok := e.(string)
		if !ok {
			return nil, false
		}
		out = append(out, str)
	}
	return out, true
}

// jsonArray emits an exec form already validated by execForm. Variables
// inside the strings are highlighted only when Docker expands them (expand).
func jsonArray(ts *tokens, s string, expand bool) {
	r := refs{s: s}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '[' || c == ']' || c == ',':
			ts.add(chroma.Punctuation, s[i:i+1])
			i++
		case c == '"':
			i = jsonString(ts, &r, i, expand)
		case spaceLen(s, i) > 0:
			j := spaces(s, i)
			ts.add(chroma.TextWhitespace, s[i:j])
			i = j
		default: // not reachable for valid input; keep the round trip anyway
			ts.add(chroma.Text, s[i:i+1])
			i++
		}
	}
}

// jsonString emits the JSON string starting at s[i] and returns the index
// after it.
func jsonString(ts *tokens, r *refs, i int, expand bool) int {
	s := r.s
	lit := i
	for j := i + 1; j < len(s); {
		c := s[j]
		switch {
		case c == '"':
			ts.add(chroma.LiteralStringDouble, s[lit:j+1])
			return j + 1
		case c == '\\':
			ts.add(chroma.LiteralStringDouble, s[lit:j])
			n := 1 + runeLen(s, j+1)
			if j+1 < len(s) && s[j+1] == 'u' {
				n = min(6, len(s)-j)
			}
			ts.add(chroma.LiteralStringEscape, s[j:j+n])
			j += n
			lit = j
		case c == '$' && expand && r.at(j) > 0:
			ts.add(chroma.LiteralStringDouble, s[lit:j])
			n := r.at(j)
			// A ${...} reference cannot run past the closing quote.
			if q := strings.IndexByte(s[j:j+n], '"'); q >= 0 {
				n = q
			}
			ts.add(chroma.NameVariable, s[j:j+n])
			j += n
			lit = j
		default:
			j++
		}
	}
	ts.add(chroma.LiteralStringDouble, s[lit:])
	return len(s)
}

// shellWords splits a command line into words the way BuildKit's shell
// lexer does when it looks for heredocs: quotes and backslash escapes
// group, ${...} is one unit, and "<<" swallows the whitespace after it
// (so "<< EOF" is one word, as in current BuildKit).
func shellWords(s string) []span {
	r := refs{s: s}
	var out []span
	for i := spaces(s, 0); i < len(s); i = spaces(s, i) {
		start := i
		for i < len(s) && spaceLen(s, i) == 0 {
			switch s[i] {
			case '\\':
				i += 1 + runeLen(s, i+1)
			case '\'':
				if j := strings.IndexByte(s[i+1:], '\''); j >= 0 {
					i += j + 2
				} else {
					i = len(s)
				}
			case '"':
				i++
				for i < len(s) && s[i] != '"' {
					if s[i] == '\\' {
						i++
					}
					i++
				}
				i = min(i+1, len(s))
			case '$':
				if n := r.at(i); n > 0 && s[i+1] == '{' {
					i += n
				} else {
					i++
				}
			case '<':
				if i+1 < len(s) && s[i+1] == '<' {
					i += 2
					for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
						i++
					}
				} else {
					i++
				}
			default:
				i++
			}
		}
		out = append(out, span{start, i})
	}
	return out
}

// heredoc is one heredoc of an instruction.
type heredoc struct {
	span       // the heredoc word in the instruction's arguments
	word   int // index of that word in shellWords(arguments)
	name   string
	chomp  bool // <<-: leading tabs are ignored on the terminator line
	expand bool // unquoted delimiter: variables in the body are expanded
	// script is set for a RUN whose whole command is the heredoc: BuildKit
	// runs the body as a script, honouring a shebang.
	script bool
	// lexer names the chroma lexer for the body; "" means data.
	lexer string
}

// reHeredoc is BuildKit's heredoc word syntax.
var reHeredoc = regexp.MustCompile(`^(\d*)<<(-?)\s*([^<]*)$`)

// findHeredocs returns the heredocs of an instruction's arguments (RUN,
// COPY, ADD in shell form) together with its words.
func findHeredocs(args string) ([]heredoc, []span) {
	if !strings.Contains(args, "<<") {
		return nil, nil
	}
	words := shellWords(args)
	var docs []heredoc
	for i, w := range words {
		if h, ok := parseHeredoc(args[w.start:w.end]); ok {
			h.span, h.word = w, i
			docs = append(docs, h)
		}
	}
	return docs, words
}

func parseHeredoc(w string) (heredoc, bool) {
	m := reHeredoc.FindStringSubmatch(w)
	if m == nil || m[3] == "" {
		return heredoc{}, false
	}
	name, quoted, ok := unquoteWord(m[3])
	if !ok {
		return heredoc{}, false
	}
	return heredoc{name: name, chomp: m[2] == "-", expand: !quoted}, true
}

// unquoteWord removes shell quoting from a heredoc delimiter. It fails, as
// BuildKit does, on unterminated quotes and on text that is more than one
// word.
func unquoteWord(s string) (name string, quoted, ok bool) {
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			n := runeLen(s, i+1)
			b.WriteString(s[i+1 : i+1+n])
			i += 1 + n
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return "", false, false
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 2
			quoted = true
		case c == '"':
			i++
			closed := false
			for i < len(s) {
				if s[i] == '"' {
					closed = true
					i++
					break
				}
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					i++
				}
				b.WriteByte(s[i])
				i++
			}
			if !closed {
				return "", false, false
			}
			quoted = true
		case spaceLen(s, i) > 0:
			return "", false, false
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), quoted, true
}

// marker emits a heredoc word such as "<<EOF", "<<-'EOF'" or "3<< EOF".
func marker(ts *tokens, w string) {
	i := 0
	for i < len(w) && isDigit(w[i]) {
		i++
	}
	ts.add(chroma.LiteralNumberInteger, w[:i])
	j := min(i+2, len(w))
	if j < len(w) && w[j] == '-' {
		j++
	}
	ts.add(chroma.Operator, w[i:j])
	k := spaces(w, j)
	ts.add(chroma.TextWhitespace, w[j:k])
	ts.add(chroma.NameConstant, w[k:])
}

// interpreterLexer maps a command name to the lexer for code it runs, or
// "" for programs whose input is data as far as this lexer is concerned.
func interpreterLexer(cmd string) string {
	base := cmd
	if i := strings.LastIndexAny(base, `/\`); i >= 0 {
		base = base[i+1:]
	}
	base = strings.TrimSuffix(strings.ToLower(strings.Trim(base, `"'`)), ".exe")
	switch base {
	case "sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "yash", "posh":
		return shellBash
	case "pwsh", "powershell":
		return shellPowerShell
	case "cmd":
		return shellBatch
	}
	return ""
}

// shebangLexer returns the lexer for a script whose first line is first
// ("#!..."): the shell lexer for shells, "" (data) for other interpreters.
func shebangLexer(first string) string {
	f := strings.Fields(strings.TrimPrefix(first, "#!"))
	if len(f) == 0 {
		return ""
	}
	if interp := strings.ToLower(f[0]); strings.HasSuffix(interp, "/env") || interp == "env" {
		for _, a := range f[1:] {
			if !strings.HasPrefix(a, "-") && !strings.Contains(a, "=") {
				return interpreterLexer(a)
			}
		}
		return ""
	}
	return interpreterLexer(f[0])
}

var (
	reAssignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)
	reRedirect   = regexp.MustCompile(`^(?:\d*|&)[<>][<>&|]*`)
	// wrappers run the command that follows them.
	wrappers = map[string]bool{"exec": true, "sudo": true, "doas": true, "env": true, "time": true, "nohup": true, "command": true, "nice": true}
)

// isSeparator reports whether a shell word ends a simple command.
func isSeparator(w string) bool {
	switch w {
	case "&&", "||", ";", "|", "&", "|&", "(", ")", "{", "}", "!", "then", "do", "else":
		return true
	}
	return false
}

func endsCommand(w string) bool {
	return strings.HasSuffix(w, ";") || strings.HasSuffix(w, "&&") || strings.HasSuffix(w, "||") || strings.HasSuffix(w, "|")
}

// commands returns, for every word of a command line, the command word of
// the simple command it belongs to, skipping redirections, heredocs,
// assignments and wrappers such as sudo or env; "" if there is none (e.g.
// "RUN <<A <<B"). Simple commands end at separators such as && ; | and are
// each examined once, so the cost is linear in the number of words.
func commands(args string, words []span) []string {
	text := func(k int) string { return args[words[k].start:words[k].end] }
	out := make([]string, len(words))
	start := 0
	for k := range words {
		w := text(k)
		if k+1 < len(words) && !isSeparator(w) && !endsCommand(w) && !isSeparator(text(k+1)) {
			continue
		}
		cmd := command(text, start, k+1)
		for j := start; j <= k; j++ {
			out[j] = cmd
		}
		start = k + 1
	}
	return out
}

// command returns the command word of the simple command made of words
// [start, end).
func command(text func(int) string, start, end int) string {
	skipNext, wrapped := false, false
	for k := start; k < end; k++ {
		w := text(k)
		switch {
		case skipNext:
			skipNext = false
		case reRedirect.MatchString(w):
			// "> file" takes the next word as target; "2>&1", ">file"
			// and heredoc words carry it.
			skipNext = len(reRedirect.FindString(w)) == len(w)
		case reAssignment.MatchString(w), wrapped && strings.HasPrefix(w, "-"):
		case wrappers[strings.Trim(w, `"'`)]:
			wrapped = true
		case isSeparator(w):
			return ""
		default:
			return strings.TrimRight(w, ";&|")
		}
	}
	return ""
}
