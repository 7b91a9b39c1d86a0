package site

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// FrontMatter is the YAML block between "---" lines at the top of a page.
// Only a flat subset of YAML is accepted (key: value, with plain, 'single' or
// "double" quoted scalars), which is all a page needs; anything else is an
// error naming the line rather than a surprise.
type FrontMatter struct {
	Title       string
	Weight      int
	Description string
}

// fmError is a front matter problem at a line of the file (1-based).
type fmError struct {
	line int
	msg  string
}

func (e *fmError) Error() string { return e.msg }

// splitFrontMatter separates the front matter from the body. It returns the
// front matter's lines, the body, and how many lines precede the body.
func splitFrontMatter(src []byte) (fm []byte, body []byte, bodyLine int, err error) {
	// Editors on Windows often save UTF-8 with a byte-order mark.
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))
	if !bytes.HasPrefix(src, []byte("---\n")) && !bytes.HasPrefix(src, []byte("---\r\n")) {
		return nil, src, 0, &fmError{1, `no front matter: a page starts with "---", then "title: ...", then "---"`}
	}
	rest := src[bytes.IndexByte(src, '\n')+1:]
	line := 1
	off := 0
	for off <= len(rest) {
		end := bytes.IndexByte(rest[off:], '\n')
		var ln []byte
		if end < 0 {
			ln = rest[off:]
		} else {
			ln = rest[off : off+end]
		}
		line++
		if string(bytes.TrimRight(ln, "\r \t")) == "---" {
			body := []byte{}
			if end >= 0 {
				body = rest[off+end+1:]
			}
			return rest[:off], body, line, nil
		}
		if end < 0 {
			break
		}
		off += end + 1
	}
	return nil, nil, 0, &fmError{1, `front matter is not closed: add a "---" line after it`}
}

// parseFrontMatter parses the lines between the "---" markers; the first of
// them is line 2 of the file.
func parseFrontMatter(fm []byte) (FrontMatter, error) {
	var m FrontMatter
	seen := map[string]int{}
	for i, raw := range strings.Split(string(fm), "\n") {
		line := i + 2
		s := strings.TrimRight(raw, "\r")
		if strings.TrimSpace(s) == "" || strings.HasPrefix(strings.TrimSpace(s), "#") {
			continue
		}
		if s[0] == ' ' || s[0] == '\t' {
			return m, &fmError{line, "front matter: nested values are not supported; use flat \"key: value\" lines"}
		}
		key, val, ok := strings.Cut(s, ":")
		if !ok {
			return m, &fmError{line, fmt.Sprintf("front matter: %q is not a \"key: value\" line", s)}
		}
		key = strings.TrimSpace(key)
		if prev, dup := seen[key]; dup {
			return m, &fmError{line, fmt.Sprintf("front matter: %s is set twice (first on line %d)", key, prev)}
		}
		seen[key] = line
		v, err := scalar(strings.TrimSpace(val))
		if err != nil {
			return m, &fmError{line, fmt.Sprintf("front matter: %s: %v", key, err)}
		}
		switch key {
		case "title":
			m.Title = v
		case "description":
			m.Description = v
		case "weight":
			n, err := strconv.Atoi(v)
			if err != nil {
				return m, &fmError{line, fmt.Sprintf("front matter: weight %q is not a whole number", v)}
			}
			m.Weight = n
		default:
			return m, &fmError{line, fmt.Sprintf("front matter: unknown key %q (known: title, weight, description)", key)}
		}
	}
	if strings.TrimSpace(m.Title) == "" {
		return m, &fmError{1, "front matter: title is required"}
	}
	return m, nil
}

// scalar decodes one YAML scalar of the supported subset.
func scalar(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	switch v[0] {
	case '"':
		if len(v) < 2 || v[len(v)-1] != '"' {
			return "", fmt.Errorf("unterminated double-quoted string")
		}
		s, err := strconv.Unquote(v)
		if err != nil {
			return "", fmt.Errorf("bad double-quoted string %s", v)
		}
		return s, nil
	case '\'':
		if len(v) < 2 || v[len(v)-1] != '\'' {
			return "", fmt.Errorf("unterminated single-quoted string")
		}
		return strings.ReplaceAll(v[1:len(v)-1], "''", "'"), nil
	case '[', '{':
		return "", fmt.Errorf("lists and maps (%s) are not supported", v)
	case '|', '>', '&', '*', '!', '%', '@', '`':
		return "", fmt.Errorf("YAML %q syntax is not supported; quote the value", v[0])
	}
	// A plain scalar ends at " #" (a comment).
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	return v, nil
}
