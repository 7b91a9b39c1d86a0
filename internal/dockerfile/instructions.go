package dockerfile

import (
	"strings"

	"github.com/alecthomas/chroma/v2"
)

// instructionNames is the set of instructions of the Dockerfile reference.
// Docker matches them case-insensitively.
var instructionNames = map[string]bool{
	"add": true, "arg": true, "cmd": true, "copy": true, "entrypoint": true,
	"env": true, "expose": true, "from": true, "healthcheck": true,
	"label": true, "maintainer": true, "onbuild": true, "run": true,
	"shell": true, "stopsignal": true, "user": true, "volume": true,
	"workdir": true,
}

func isBlank(c byte) bool {
	return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r'
}

// instruction lexes one logical line l (continuations already joined) into
// ts, which must end up covering l exactly. It returns the heredocs whose
// bodies follow the line. onbuild is set for the instruction after ONBUILD,
// which is only recorded by Docker, so it must not change the lexer state.
func (s *scanner) instruction(ts *tokens, l string, onbuild bool) []heredoc {
	p := spaces(l, 0)
	ts.add(chroma.TextWhitespace, l[:p])
	// splitCommand separates the instruction with [\t\v\f\r ]+.
	q := p
	for q < len(l) && !isBlank(l[q]) {
		q++
	}
	kw := strings.ToLower(l[p:q])
	if !instructionNames[kw] {
		// Unknown instruction (or garbage): Docker rejects it, we keep it
		// readable and error free.
		ts.add(chroma.Text, l[p:])
		return nil
	}
	ts.add(chroma.Keyword, l[p:q])
	p = s.flags(ts, l, q)
	end := spaces(l, p)
	ts.add(chroma.TextWhitespace, l[p:end])
	args := l[end:]
	esc := s.escape

	switch kw {
	case "from":
		if !onbuild {
			s.shell = s.defaultShell() // SHELL only lasts for its stage
		}
		s.from(ts, args)
	case "run":
		return s.shellCommand(ts, args, true)
	case "cmd", "entrypoint":
		s.shellCommand(ts, args, false)
	case "shell":
		if argv, ok := execForm(args); ok {
			jsonArray(ts, args, false)
			if !onbuild && len(argv) > 0 {
				s.shell = interpreterLexer(argv[0])
				if s.shell == "" {
					s.shell = shellBash
				}
			}
		} else {
			value(ts, args, esc, false)
		}
	case "env":
		s.nameValues(ts, args, chroma.NameVariable, true)
	case "label":
		s.nameValues(ts, args, chroma.NameProperty, true)
	case "arg":
		s.nameValues(ts, args, chroma.NameVariable, false)
	case "expose":
		for i := 0; i < len(args); {
			j := i
			for j < len(args) && spaceLen(args, j) == 0 {
				j++
			}
			port(ts, args[i:j])
			k := spaces(args, j)
			ts.add(chroma.TextWhitespace, args[j:k])
			i = k
		}
	case "add", "copy":
		if _, ok := execForm(args); ok {
			jsonArray(ts, args, true)
			return nil
		}
		docs, _ := findHeredocs(args)
		s.withMarkers(ts, args, docs, func(chunk string, _ bool) { value(ts, chunk, esc, true) })
		return docs
	case "volume":
		if _, ok := execForm(args); ok {
			jsonArray(ts, args, true)
		} else {
			value(ts, args, esc, true)
		}
	case "user", "workdir", "stopsignal":
		value(ts, args, esc, true)
	case "maintainer":
		value(ts, args, esc, false)
	case "onbuild":
		return s.instruction(ts, args, true)
	case "healthcheck":
		s.healthcheck(ts, args)
	}
	return nil
}

// flags lexes the --flag[=value] words that Docker extracts from the start
// of every instruction's arguments (extractBuilderFlags), beginning at l[p],
// and returns the position after the last one. A lone "--" ends the flags.
func (s *scanner) flags(ts *tokens, l string, p int) int {
	for {
		k := spaces(l, p)
		if !strings.HasPrefix(l[k:], "--") {
			return p
		}
		ts.add(chroma.TextWhitespace, l[p:k])
		// Flag values are split with backslash as escape, whatever the
		// escape directive says.
		end := wordEnd(l, k, '\\')
		w := l[k:end]
		p = end
		if w == "--" {
			ts.add(chroma.Operator, w)
			return p
		}
		name, val, eq := strings.Cut(w, "=")
		ts.add(chroma.NameAttribute, name)
		if eq {
			ts.add(chroma.Operator, "=")
			value(ts, val, s.escape, true)
		}
	}
}

// from lexes "image [AS name]".
func (s *scanner) from(ts *tokens, args string) {
	i := 0
	word := func() string {
		j := i
		for j < len(args) && spaceLen(args, j) == 0 {
			j++
		}
		w := args[i:j]
		i = j
		return w
	}
	blank := func() {
		j := spaces(args, i)
		ts.add(chroma.TextWhitespace, args[i:j])
		i = j
	}
	if image := word(); strings.EqualFold(image, "scratch") {
		ts.add(chroma.NameBuiltin, image)
	} else {
		value(ts, image, s.escape, true)
	}
	blank()
	if as := word(); strings.EqualFold(as, "as") {
		ts.add(chroma.Keyword, as)
		blank()
		ts.add(chroma.NameLabel, word())
	} else {
		ts.add(chroma.Text, as)
	}
	plain(ts, args[i:])
}

// shellCommand lexes the arguments of RUN, CMD, ENTRYPOINT and HEALTHCHECK
// CMD: exec form as JSON, shell form with the current shell lexer. For RUN
// the heredoc words are lexed here and the heredocs returned.
func (s *scanner) shellCommand(ts *tokens, args string, heredocs bool) []heredoc {
	if _, ok := execForm(args); ok {
		jsonArray(ts, args, false)
		return nil
	}
	var docs []heredoc
	if heredocs {
		var words []span
		docs, words = findHeredocs(args)
		if len(docs) == 1 && strings.TrimSpace(args) == args[docs[0].start:docs[0].end] {
			docs[0].script, docs[0].lexer = true, s.shell
		} else if len(docs) > 0 {
			cmds := commands(args, words)
			for i := range docs {
				docs[i].lexer = interpreterLexer(cmds[docs[i].word])
			}
		}
	}
	s.withMarkers(ts, args, docs, func(chunk string, eol bool) { s.delegate(ts, s.shell, chunk, chroma.Text, eol) })
	return docs
}

// withMarkers lexes args with lex, except for the heredoc words of docs,
// which are lexed by marker. Splitting the shell text there also keeps the
// bash lexer from looking for the heredoc body (which is not in args).
func (s *scanner) withMarkers(ts *tokens, args string, docs []heredoc, lex func(chunk string, eol bool)) {
	pos := 0
	for _, d := range docs {
		if pos < d.start {
			lex(args[pos:d.start], false)
		}
		marker(ts, args[d.start:d.end])
		pos = d.end
	}
	if pos < len(args) {
		lex(args[pos:], true)
	}
}

// nameValues lexes ENV, LABEL and ARG: words of the form key=value (or just
// key for ARG). With legacy, a first word without "=" selects the old
// "KEY value" form in which the value is the rest of the line.
func (s *scanner) nameValues(ts *tokens, args string, key chroma.TokenType, legacy bool) {
	words := dockerWords(args, s.escape)
	if len(words) == 0 {
		ts.add(chroma.TextWhitespace, args)
		return
	}
	if w := words[0]; legacy && !strings.Contains(args[w.start:w.end], "=") {
		ts.add(chroma.TextWhitespace, args[:w.start])
		// reWhitespace.Split(rest, 2): the key is the first run of
		// non-blank characters.
		k := w.start
		for k < len(args) && !isBlank(args[k]) {
			k++
		}
		ts.add(key, args[w.start:k])
		value(ts, args[k:], s.escape, true)
		return
	}
	pos := 0
	for _, w := range words {
		ts.add(chroma.TextWhitespace, args[pos:w.start])
		word := args[w.start:w.end]
		if k, v, ok := strings.Cut(word, "="); ok {
			ts.add(key, k)
			ts.add(chroma.Operator, "=")
			value(ts, v, s.escape, true)
		} else if legacy {
			ts.add(chroma.Text, word) // ENV/LABEL need key=value here
		} else {
			ts.add(key, word) // ARG name without default
		}
		pos = w.end
	}
	ts.add(chroma.TextWhitespace, args[pos:])
}

// port lexes one EXPOSE word: 80, 8000-8010, 53/udp, ${PORT}/tcp.
func port(ts *tokens, w string) {
	r := refs{s: w}
	afterSlash := false
	special := func(c byte) bool {
		return isDigit(c) || isNameStart(c) || c == '/' || c == '-' || c == '$'
	}
	for i := 0; i < len(w); {
		c := w[i]
		j := i + 1
		switch {
		case c == '$' && r.at(i) > 0:
			j = i + r.at(i)
			ts.add(chroma.NameVariable, w[i:j])
		case isDigit(c):
			for j < len(w) && isDigit(w[j]) {
				j++
			}
			ts.add(chroma.LiteralNumberInteger, w[i:j])
		case c == '/' || c == '-':
			afterSlash = afterSlash || c == '/'
			ts.add(chroma.Punctuation, w[i:j])
		case isNameStart(c):
			for j < len(w) && isNameChar(w[j]) {
				j++
			}
			if afterSlash {
				ts.add(chroma.NameBuiltin, w[i:j])
			} else {
				ts.add(chroma.LiteralString, w[i:j])
			}
		default:
			for j < len(w) && !special(w[j]) {
				j++
			}
			ts.add(chroma.LiteralString, w[i:j])
		}
		i = j
	}
}

// healthcheck lexes what follows HEALTHCHECK's flags: NONE, or CMD and a
// command like the CMD instruction's.
func (s *scanner) healthcheck(ts *tokens, args string) {
	j := 0
	for j < len(args) && !isBlank(args[j]) {
		j++
	}
	switch w := args[:j]; {
	case strings.EqualFold(w, "none"):
		ts.add(chroma.KeywordConstant, w)
		plain(ts, args[j:])
	case strings.EqualFold(w, "cmd"):
		ts.add(chroma.Keyword, w)
		k := spaces(args, j)
		ts.add(chroma.TextWhitespace, args[j:k])
		s.shellCommand(ts, args[k:], false)
	default:
		plain(ts, args)
	}
}
