package lexers

import (
	"strings"

	"github.com/alecthomas/chroma/v2"
)

// YAML lexes YAML line by line: comments, document markers, keys, list
// dashes, anchors and aliases, tags, quoted and plain scalars.
var YAML = New(&chroma.Config{Name: "YAML", Aliases: []string{"yaml", "yml"}, Filenames: []string{"*.yaml", "*.yml"}}, lexYAML)

// JSON lexes JSON (keys apart from string values), and tolerates the
// comments and trailing commas people write in examples.
var JSON = New(&chroma.Config{Name: "JSON", Aliases: []string{"json", "jsonc"}, Filenames: []string{"*.json"}}, lexJSON)

// Diff lexes unified diffs.
var Diff = New(&chroma.Config{Name: "Diff", Aliases: []string{"diff", "patch", "udiff"}, Filenames: []string{"*.diff", "*.patch"}}, lexDiff)

func lexYAML(s string) []chroma.Token {
	t := &tokens{src: s}
	for len(s) > 0 {
		end := strings.IndexByte(s, '\n')
		line := s
		if end >= 0 {
			line = s[:end]
		}
		yamlLine(t, line)
		s = s[len(line):]
		if len(s) > 0 {
			t.add(chroma.TextWhitespace, "\n")
			s = s[1:]
		}
	}
	return t.out
}

func yamlLine(t *tokens, line string) {
	body := strings.TrimRight(line, "\r")
	cr := line[len(body):]
	defer t.add(chroma.TextWhitespace, cr)
	ind := len(body) - len(strings.TrimLeft(body, " \t"))
	t.add(chroma.TextWhitespace, body[:ind])
	rest := body[ind:]
	switch {
	case rest == "":
		return
	case rest == "---" || rest == "..." || strings.HasPrefix(rest, "--- "):
		t.add(chroma.NameNamespace, rest[:3])
		rest = rest[3:]
	case strings.HasPrefix(rest, "#"):
		t.add(chroma.CommentSingle, rest)
		return
	}
	for strings.HasPrefix(rest, "- ") || rest == "-" {
		t.add(chroma.Punctuation, "-")
		rest = rest[1:]
		sp := len(rest) - len(strings.TrimLeft(rest, " "))
		t.add(chroma.TextWhitespace, rest[:sp])
		rest = rest[sp:]
	}
	// key: value (a key is plain or quoted, followed by ":" and a space or the end)
	if k := yamlKeyEnd(rest); k > 0 {
		t.add(chroma.NameTag, rest[:k])
		t.add(chroma.Punctuation, ":")
		rest = rest[k+1:]
	}
	yamlValue(t, rest)
}

// yamlKeyEnd returns the index of the ":" ending a mapping key, or -1.
func yamlKeyEnd(s string) int {
	if s == "" || strings.HasPrefix(s, "#") {
		return -1
	}
	i := 0
	if s[0] == '"' || s[0] == '\'' {
		j := strings.IndexByte(s[1:], s[0])
		if j < 0 {
			return -1
		}
		i = j + 2
		if i < len(s) && s[i] == ':' && (i+1 == len(s) || s[i+1] == ' ' || s[i+1] == '\t') {
			return i
		}
		return -1
	}
	if strings.IndexByte("[{&*!|>%@`", s[0]) >= 0 {
		return -1
	}
	for ; i < len(s); i++ {
		if s[i] == ':' && (i+1 == len(s) || s[i+1] == ' ' || s[i+1] == '\t') {
			return i
		}
		if s[i] == ' ' && i+1 < len(s) && s[i+1] == '#' {
			return -1
		}
	}
	return -1
}

func yamlValue(t *tokens, s string) {
	for len(s) > 0 {
		switch c := s[0]; {
		case c == ' ' || c == '\t':
			j := len(s) - len(strings.TrimLeft(s, " \t"))
			t.add(chroma.TextWhitespace, s[:j])
			s = s[j:]
		case c == '#':
			t.add(chroma.CommentSingle, s)
			return
		case c == '"' || c == '\'':
			j := quoteEnd(s, 0, c == '"')
			typ := chroma.LiteralStringDouble
			if c == '\'' {
				typ = chroma.LiteralStringSingle
			}
			t.add(typ, s[:j])
			s = s[j:]
		case c == '&' || c == '*' || c == '!':
			j := strings.IndexAny(s, " \t")
			if j < 0 {
				j = len(s)
			}
			typ := chroma.NameLabel
			if c == '*' {
				typ = chroma.NameVariable
			} else if c == '!' {
				typ = chroma.KeywordType
			}
			t.add(typ, s[:j])
			s = s[j:]
		case c == '|' || c == '>':
			t.add(chroma.Punctuation, s[:1])
			s = s[1:]
		case strings.IndexByte("[]{},", c) >= 0:
			t.add(chroma.Punctuation, s[:1])
			s = s[1:]
		default:
			j := 0
			for j < len(s) && !(s[j] == ' ' && j+1 < len(s) && s[j+1] == '#') && strings.IndexByte("[]{},", s[j]) < 0 {
				j++
			}
			word := strings.TrimRight(s[:j], " \t")
			switch {
			case word == "true" || word == "false" || word == "null" || word == "~" || word == "yes" || word == "no":
				t.add(chroma.KeywordConstant, word)
			case isYAMLNumber(word):
				t.add(chroma.LiteralNumber, word)
			default:
				t.add(chroma.LiteralString, word)
			}
			t.add(chroma.TextWhitespace, s[len(word):j])
			s = s[j:]
		}
	}
}

func isYAMLNumber(s string) bool {
	if s == "" {
		return false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
		case (c == '-' || c == '+') && i == 0 && len(s) > 1:
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return true
}

func lexJSON(s string) []chroma.Token {
	t := &tokens{src: s}
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			j := i
			for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r') {
				j++
			}
			t.add(chroma.TextWhitespace, s[i:j])
			i = j
		case c == '"':
			j := i + 1
			for j < len(s) && s[j] != '"' && s[j] != '\n' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j < len(s) && s[j] == '"' {
				j++
			}
			if j > len(s) {
				j = len(s)
			}
			// A string followed by ":" is a key.
			k := j
			for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
				k++
			}
			typ := chroma.LiteralStringDouble
			if k < len(s) && s[k] == ':' {
				typ = chroma.NameTag
			}
			t.add(typ, s[i:j])
			i = j
		case c == '/' && i+1 < len(s) && s[i+1] == '/':
			j := strings.IndexByte(s[i:], '\n')
			if j < 0 {
				j = len(s) - i
			}
			t.add(chroma.CommentSingle, s[i:i+j])
			i += j
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			j := strings.Index(s[i+2:], "*/")
			end := len(s)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			t.add(chroma.CommentMultiline, s[i:end])
			i = end
		case strings.IndexByte("{}[],:", c) >= 0:
			t.add(chroma.Punctuation, s[i:i+1])
			i++
		case c == '-' || c >= '0' && c <= '9':
			j := i + 1
			for j < len(s) && strings.IndexByte("0123456789.eE+-", s[j]) >= 0 {
				j++
			}
			t.add(chroma.LiteralNumber, s[i:j])
			i = j
		default:
			j := i
			for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
				j++
			}
			if j == i {
				j = i + 1
			}
			w := s[i:j]
			typ := chroma.Text
			if w == "true" || w == "false" || w == "null" {
				typ = chroma.KeywordConstant
			}
			t.add(typ, w)
			i = j
		}
	}
	return t.out
}

func lexDiff(s string) []chroma.Token {
	t := &tokens{src: s}
	for len(s) > 0 {
		end := strings.IndexByte(s, '\n')
		line := s
		if end >= 0 {
			line = s[:end+1]
		}
		s = s[len(line):]
		typ := chroma.Text
		switch {
		case strings.HasPrefix(line, "+++") || strings.HasPrefix(line, "---"):
			typ = chroma.GenericHeading
		case strings.HasPrefix(line, "@@"):
			typ = chroma.GenericSubheading
		case strings.HasPrefix(line, "+"):
			typ = chroma.GenericInserted
		case strings.HasPrefix(line, "-"):
			typ = chroma.GenericDeleted
		case strings.HasPrefix(line, "diff ") || strings.HasPrefix(line, "index "):
			typ = chroma.GenericStrong
		}
		t.add(typ, line)
	}
	return t.out
}
