package lexers

import (
	"strings"

	"github.com/alecthomas/chroma/v2"
)

// Bash lexes POSIX shell and bash: comments, quoting, variables, command
// substitution, heredocs, keywords and builtins in command position.
var Bash = New(&chroma.Config{Name: "Bash", Aliases: []string{"bash", "sh", "shell", "zsh", "ksh"}, Filenames: []string{"*.sh", "*.bash"}, MimeTypes: []string{"application/x-sh"}}, func(s string) []chroma.Token {
	sh := &shLexer{src: s, cmd: true}
	sh.run()
	return sh.out
})

// Console lexes a terminal session: lines starting with a "$ " or "# "
// prompt are shell, the rest is the commands' output.
var Console = New(&chroma.Config{Name: "Console", Aliases: []string{"console", "shell-session", "terminal"}}, lexConsole)

var shKeywords = map[string]bool{
	"if": true, "then": true, "else": true, "elif": true, "fi": true, "for": true, "while": true, "until": true,
	"do": true, "done": true, "case": true, "esac": true, "in": true, "function": true, "select": true, "time": true,
	"!": true, "[[": true, "]]": true, "{": true, "}": true,
}

var shBuiltins = map[string]bool{
	"alias": true, "bg": true, "break": true, "builtin": true, "cd": true, "command": true, "continue": true,
	"declare": true, "echo": true, "eval": true, "exec": true, "exit": true, "export": true, "false": true, "fg": true,
	"getopts": true, "hash": true, "jobs": true, "kill": true, "let": true, "local": true, "printf": true, "pwd": true,
	"read": true, "readonly": true, "return": true, "set": true, "shift": true, "source": true, "test": true,
	"trap": true, "true": true, "type": true, "ulimit": true, "umask": true, "unalias": true, "unset": true, "wait": true,
	".": true, ":": true,
}

type shLexer struct {
	src     string
	i       int
	out     []chroma.Token
	cmd     bool     // the next word is in command position
	assign  bool     // arguments may be NAME=value (after export, local, ...)
	heredoc []string // pending heredoc terminators, read after the line ends
	strip   []bool   // <<- strips leading tabs before the terminator
}

func (l *shLexer) emit(t chroma.TokenType, s string) {
	if s != "" {
		l.out = append(l.out, chroma.Token{Type: t, Value: s})
	}
}

func isWordByte(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', ';', '&', '|', '(', ')', '<', '>', '"', '\'', '`', '$', '#', '\\':
		return false
	}
	return true
}

func isNameByte(c byte, first bool) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || !first && c >= '0' && c <= '9'
}

// run lexes until the end of input, or until an unmatched ")" when nested
// inside $( ... ) (then it returns with l.i at the parenthesis).
func (l *shLexer) run() { l.lex(0) }

func (l *shLexer) lex(depth int) {
	s := l.src
	for l.i < len(s) {
		c := s[l.i]
		switch {
		case c == '\n':
			l.emit(chroma.TextWhitespace, "\n")
			l.i++
			l.cmd, l.assign = true, false
			if len(l.heredoc) > 0 {
				l.heredocBodies()
			}
		case c == ' ' || c == '\t' || c == '\r':
			j := l.i
			for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r') {
				j++
			}
			// Plain Text, not TextWhitespace: it merges with the words
			// around it, which keeps the HTML small.
			l.emit(chroma.Text, s[l.i:j])
			l.i = j
		case c == '#' && (l.i == 0 || !isWordByte(s[l.i-1]) || s[l.i-1] == ' '):
			j := strings.IndexByte(s[l.i:], '\n')
			if j < 0 {
				j = len(s) - l.i
			}
			typ := chroma.CommentSingle
			if l.i == 0 && strings.HasPrefix(s, "#!") {
				typ = chroma.CommentHashbang
			}
			l.emit(typ, s[l.i:l.i+j])
			l.i += j
		case c == '\\':
			end := l.i + 2
			if end > len(s) {
				end = len(s)
			}
			l.emit(chroma.LiteralStringEscape, s[l.i:end])
			l.i = end
		case c == '\'':
			l.single()
			l.cmd = false
		case c == '"':
			l.double()
			l.cmd = false
		case c == '`':
			j := strings.IndexByte(s[l.i+1:], '`')
			end := len(s)
			if j >= 0 {
				end = l.i + 1 + j + 1
			}
			l.emit(chroma.LiteralStringBacktick, s[l.i:end])
			l.i = end
			l.cmd = false
		case c == '$':
			l.dollar(chroma.NameVariable)
			l.cmd = false
		case c == ')' && depth > 0:
			return
		case c == ';' || c == '&' || c == '|' || c == '(' || c == ')':
			j := l.i + 1
			for j < len(s) && j < l.i+2 && (s[j] == c || c == '|' && s[j] == '&' || c == '&' && s[j] == '>') {
				j++
			}
			l.emit(chroma.Operator, s[l.i:j])
			l.i = j
			l.cmd, l.assign = true, false
		case c == '<' || c == '>':
			l.redirect()
		default:
			l.word()
		}
	}
}

// word lexes one unquoted word: a keyword, builtin, assignment, number,
// option or plain argument.
func (l *shLexer) word() {
	s := l.src
	j := l.i
	for j < len(s) && isWordByte(s[j]) {
		j++
	}
	if j == l.i { // a byte no other case takes
		l.emit(chroma.Text, s[l.i:l.i+1])
		l.i++
		return
	}
	w := s[l.i:j]
	if l.cmd || l.assign {
		if eq := strings.IndexByte(w, '='); eq > 0 && isName(w[:eq]) {
			l.emit(chroma.NameVariable, w[:eq])
			l.emit(chroma.Operator, "=")
			l.i += eq + 1
			// The value follows; after it, the position is unchanged
			// (VAR=x cmd runs cmd).
			l.value()
			return
		}
	}
	typ := chroma.Text
	switch {
	case l.cmd && shKeywords[w]:
		typ = chroma.Keyword
		l.i = j
		l.emit(typ, w)
		return // a command follows a keyword
	case l.cmd && shBuiltins[w]:
		typ = chroma.NameBuiltin
		switch w {
		case "export", "local", "declare", "readonly", "typeset":
			l.assign = true
		default:
			l.assign = false
		}
	case isNumber(w):
		typ = chroma.LiteralNumber
	}
	l.emit(typ, w)
	l.i = j
	l.cmd = false
}

// value lexes the value of an assignment up to the next blank or operator,
// quotes and expansions included.
func (l *shLexer) value() {
	s := l.src
	for l.i < len(s) {
		switch c := s[l.i]; {
		case c == '\'':
			l.single()
		case c == '"':
			l.double()
		case c == '$':
			l.dollar(chroma.NameVariable)
		case isWordByte(c):
			j := l.i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			l.emit(chroma.LiteralString, s[l.i:j])
			l.i = j
		default:
			return
		}
	}
}

func isName(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i], i == 0) {
			return false
		}
	}
	return s != ""
}

func isNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func (l *shLexer) single() {
	s := l.src
	j := strings.IndexByte(s[l.i+1:], '\'')
	end := len(s)
	if j >= 0 {
		end = l.i + 1 + j + 1
	}
	l.emit(chroma.LiteralStringSingle, s[l.i:end])
	l.i = end
}

// double lexes "...", with variables and command substitution inside.
func (l *shLexer) double() {
	s := l.src
	start := l.i
	l.i++
	for l.i < len(s) {
		switch s[l.i] {
		case '\\':
			l.i += 2
			if l.i > len(s) {
				l.i = len(s)
			}
			continue
		case '"':
			l.i++
			l.emit(chroma.LiteralStringDouble, s[start:l.i])
			return
		case '$':
			if l.i+1 < len(s) && (isNameByte(s[l.i+1], true) || strings.IndexByte("{(@*#?$!0123456789-", s[l.i+1]) >= 0) {
				l.emit(chroma.LiteralStringDouble, s[start:l.i])
				l.dollar(chroma.NameVariable)
				start = l.i
				continue
			}
		}
		l.i++
	}
	l.emit(chroma.LiteralStringDouble, s[start:])
}

// dollar lexes $NAME, ${...}, $(...), $((...)) and $'...' at l.i.
func (l *shLexer) dollar(typ chroma.TokenType) {
	s := l.src
	if l.i+1 >= len(s) {
		l.emit(chroma.Text, "$")
		l.i++
		return
	}
	switch c := s[l.i+1]; {
	case c == '{':
		end := matchClose(s, l.i+1, '{', '}')
		l.emit(typ, s[l.i:end])
		l.i = end
	case c == '(' && strings.HasPrefix(s[l.i:], "$(("):
		end := strings.Index(s[l.i:], "))")
		if end < 0 {
			end = len(s) - l.i
		} else {
			end += 2
		}
		l.emit(chroma.LiteralStringInterpol, s[l.i:l.i+end])
		l.i += end
	case c == '(':
		l.emit(chroma.LiteralStringInterpol, "$(")
		l.i += 2
		saved := l.cmd
		l.cmd = true
		l.lex(1)
		if l.i < len(s) && s[l.i] == ')' {
			l.emit(chroma.LiteralStringInterpol, ")")
			l.i++
		}
		l.cmd = saved
	case c == '\'':
		l.i++
		start := l.i - 1
		j := quoteEnd(s, l.i, true)
		l.emit(chroma.LiteralStringSingle, s[start:j])
		l.i = j
	case isNameByte(c, true):
		j := l.i + 1
		for j < len(s) && isNameByte(s[j], false) {
			j++
		}
		l.emit(typ, s[l.i:j])
		l.i = j
	case strings.IndexByte("@*#?$!0123456789-", c) >= 0:
		l.emit(typ, s[l.i:l.i+2])
		l.i += 2
	default:
		l.emit(chroma.Text, "$")
		l.i++
	}
}

// matchClose returns the index after the bracket that closes the one at i.
func matchClose(s string, i int, open, close byte) int {
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case open:
			depth++
		case close:
			depth--
			if depth == 0 {
				return j + 1
			}
		case '\n':
			return j
		}
	}
	return len(s)
}

// redirect lexes <, >, >>, 2>&1, <<EOF (a heredoc), <<< and <(...).
func (l *shLexer) redirect() {
	s := l.src
	if strings.HasPrefix(s[l.i:], "<<") && !strings.HasPrefix(s[l.i:], "<<<") {
		op := "<<"
		strip := false
		if strings.HasPrefix(s[l.i:], "<<-") {
			op, strip = "<<-", true
		}
		l.emit(chroma.Operator, op)
		l.i += len(op)
		j := l.i
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		l.emit(chroma.TextWhitespace, s[l.i:j])
		l.i = j
		k := j
		for k < len(s) && isWordByte(s[k]) || k < len(s) && (s[k] == '\'' || s[k] == '"') {
			k++
		}
		word := s[j:k]
		if word != "" {
			l.emit(chroma.NameConstant, word)
			l.i = k
			l.heredoc = append(l.heredoc, strings.Trim(word, `'"`))
			l.strip = append(l.strip, strip)
		}
		return
	}
	j := l.i
	for j < len(s) && j < l.i+3 && (s[j] == '<' || s[j] == '>' || s[j] == '&') {
		j++
	}
	l.emit(chroma.Operator, s[l.i:j])
	l.i = j
}

// heredocBodies lexes the bodies of the heredocs opened on the line just
// ended, each up to its terminator line.
func (l *shLexer) heredocBodies() {
	s := l.src
	for n, term := range l.heredoc {
		start := l.i
		for l.i < len(s) {
			end := strings.IndexByte(s[l.i:], '\n')
			line := s[l.i:]
			if end >= 0 {
				line = s[l.i : l.i+end]
			}
			check := strings.TrimRight(line, "\r")
			if l.strip[n] {
				check = strings.TrimLeft(check, "\t")
			}
			if check == term {
				l.emit(chroma.LiteralStringHeredoc, s[start:l.i])
				l.emit(chroma.NameConstant, line)
				l.i += len(line)
				if l.i < len(s) {
					l.emit(chroma.TextWhitespace, "\n")
					l.i++
				}
				start = -1
				break
			}
			if end < 0 {
				l.i = len(s)
				break
			}
			l.i += end + 1
		}
		if start >= 0 {
			l.emit(chroma.LiteralStringHeredoc, s[start:l.i])
		}
	}
	l.heredoc, l.strip = nil, nil
}

func lexConsole(s string) []chroma.Token {
	var out []chroma.Token
	for len(s) > 0 {
		end := strings.IndexByte(s, '\n')
		line := s
		if end >= 0 {
			line = s[:end+1]
		}
		s = s[len(line):]
		if strings.HasPrefix(line, "$ ") || strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "% ") {
			out = append(out, chroma.Token{Type: chroma.GenericPrompt, Value: line[:2]})
			// A command continued with a trailing backslash goes on.
			cmd := line[2:]
			for strings.HasSuffix(strings.TrimRight(cmd, "\r\n"), "\\") && len(s) > 0 {
				e := strings.IndexByte(s, '\n')
				next := s
				if e >= 0 {
					next = s[:e+1]
				}
				cmd += next
				s = s[len(next):]
			}
			sh := &shLexer{src: cmd, cmd: true}
			sh.run()
			out = append(out, sh.out...)
			continue
		}
		out = append(out, chroma.Token{Type: chroma.GenericOutput, Value: line})
	}
	return out
}
