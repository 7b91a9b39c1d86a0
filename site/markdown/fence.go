package markdown

import (
	"fmt"
	"strconv"
	"strings"
)

// Fence is a fenced code block's info string, parsed. The syntax is
//
//	```LANG {key=value key="value with spaces" ...}
//
// with keys
//
//	file="Dockerfile"   include this file from the source root (the block must be empty)
//	lines="3-9"         include only these lines of the file
//	linenos=true        number the lines
//	hl="2,5-7"          highlight these lines (counted as shown)
//	title="..."         caption above the block (defaults to the file name)
//
// Pairs may be separated by spaces or commas. A bare word inside the braces
// (e.g. {linenos}) means key=true.
type Fence struct {
	Lang    string
	File    string
	Lines   [2]int // 1-based inclusive range of the file; zero means all
	LineNos bool
	HL      [][2]int
	Title   string
}

// ParseFence parses an info string. Errors name what is wrong but not where:
// the caller knows the line.
func ParseFence(info string) (Fence, error) {
	var f Fence
	info = strings.TrimSpace(info)
	attrs := ""
	if i := strings.IndexByte(info, '{'); i >= 0 {
		if !strings.HasSuffix(info, "}") {
			return f, fmt.Errorf("fence attributes %q: missing closing '}'", info[i:])
		}
		attrs = info[i+1 : len(info)-1]
		info = strings.TrimSpace(info[:i])
	}
	// Anything after the first word without braces is ignored, as GitHub does.
	if fs := strings.Fields(info); len(fs) > 0 {
		f.Lang = strings.ToLower(fs[0])
	}
	kvs, err := splitAttrs(attrs)
	if err != nil {
		return f, err
	}
	for _, kv := range kvs {
		k, v := kv[0], kv[1]
		switch k {
		case "file":
			if v == "" {
				return f, fmt.Errorf("fence attribute file is empty")
			}
			f.File = v
		case "lines":
			rs, err := parseRanges(v)
			if err != nil || len(rs) != 1 {
				return f, fmt.Errorf("fence attribute lines=%q: want one range such as \"3-9\"", v)
			}
			f.Lines = rs[0]
		case "linenos":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return f, fmt.Errorf("fence attribute linenos=%q: want true or false", v)
			}
			f.LineNos = b
		case "hl", "hl_lines":
			rs, err := parseRanges(v)
			if err != nil {
				return f, fmt.Errorf("fence attribute %s=%q: %v", k, v, err)
			}
			f.HL = rs
		case "title":
			f.Title = v
		default:
			return f, fmt.Errorf("unknown fence attribute %q (known: file, lines, linenos, hl, title)", k)
		}
	}
	if f.Lines != [2]int{} && f.File == "" {
		return f, fmt.Errorf("fence attribute lines needs file")
	}
	return f, nil
}

// splitAttrs splits `a=1, b="x y" c` into key/value pairs.
func splitAttrs(s string) ([][2]string, error) {
	var out [][2]string
	i := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == ',' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			return out, nil
		}
		j := i
		for j < len(s) && s[j] != '=' && s[j] != ' ' && s[j] != ',' && s[j] != '\t' {
			j++
		}
		key := s[i:j]
		if key == "" {
			return nil, fmt.Errorf("fence attributes {%s}: expected a key", s)
		}
		if j >= len(s) || s[j] != '=' {
			out = append(out, [2]string{key, "true"})
			i = j
			continue
		}
		j++ // '='
		var val string
		if j < len(s) && (s[j] == '"' || s[j] == '\'') {
			q := s[j]
			end := strings.IndexByte(s[j+1:], q)
			if end < 0 {
				return nil, fmt.Errorf("fence attribute %s: unterminated quote", key)
			}
			val = s[j+1 : j+1+end]
			j += end + 2
		} else {
			k := j
			for k < len(s) && s[k] != ' ' && s[k] != ',' && s[k] != '\t' {
				k++
			}
			// hl=[2,5-7] (Hugo's list form) keeps its commas
			if k < len(s) && j < len(s) && s[j] == '[' {
				if end := strings.IndexByte(s[j:], ']'); end >= 0 {
					k = j + end + 1
				}
			}
			val = s[j:k]
			j = k
		}
		out = append(out, [2]string{key, val})
		i = j
	}
}

// parseRanges parses "2,5-7" (or "[2,5-7]" or "2 5-7") into inclusive ranges.
func parseRanges(s string) ([][2]int, error) {
	s = strings.Trim(strings.TrimSpace(s), "[]")
	var out [][2]int
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil || a < 1 {
			return nil, fmt.Errorf("bad line number %q", part)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil || b < a {
				return nil, fmt.Errorf("bad line range %q", part)
			}
		}
		out = append(out, [2]int{a, b})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no line numbers")
	}
	return out, nil
}
