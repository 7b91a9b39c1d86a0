package site

import (
	"strings"
	"testing"
)

func TestFrontMatter(t *testing.T) {
	tests := []struct {
		name, src string
		want      FrontMatter
		bodyLine  int
		err       string
	}{
		{"plain", "---\ntitle: Usage\nweight: 4\n---\nbody", FrontMatter{Title: "Usage", Weight: 4}, 4, ""},
		{"quoted", "---\ntitle: \"A: b\"\ndescription: 'it''s'\n---\n", FrontMatter{Title: "A: b", Description: "it's"}, 4, ""},
		{"byte-order mark", "\xef\xbb\xbf---\ntitle: T\n---\n", FrontMatter{Title: "T"}, 3, ""},
		{"crlf", "---\r\ntitle: T\r\nweight: -2\r\n---\r\nbody", FrontMatter{Title: "T", Weight: -2}, 4, ""},
		{"comment", "---\n# note\ntitle: T # trailing\n---\n", FrontMatter{Title: "T"}, 4, ""},
		{"no front matter", "# Title\n", FrontMatter{}, 0, "no front matter"},
		{"unclosed", "---\ntitle: T\n", FrontMatter{}, 0, "not closed"},
		{"no title", "---\nweight: 1\n---\n", FrontMatter{}, 0, "title is required"},
		{"bad weight", "---\ntitle: T\nweight: heavy\n---\n", FrontMatter{}, 0, "not a whole number"},
		{"unknown key", "---\ntitle: T\ntags: x\n---\n", FrontMatter{}, 0, `unknown key "tags"`},
		{"list", "---\ntitle: [a, b]\n---\n", FrontMatter{}, 0, "lists and maps"},
		{"nested", "---\ntitle: T\n  x: 1\n---\n", FrontMatter{}, 0, "nested values"},
		{"duplicate", "---\ntitle: A\ntitle: B\n---\n", FrontMatter{}, 0, "set twice"},
		{"no colon", "---\ntitle T\n---\n", FrontMatter{}, 0, "not a \"key: value\" line"},
		{"bad quote", "---\ntitle: \"abc\n---\n", FrontMatter{}, 0, "unterminated"},
		{"block scalar", "---\ntitle: |\n---\n", FrontMatter{}, 0, "not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fm, _, line, err := splitFrontMatter([]byte(tt.src))
			var got FrontMatter
			if err == nil {
				got, err = parseFrontMatter(fm)
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if line != tt.bodyLine {
				t.Errorf("body starts after line %d, want %d", line, tt.bodyLine)
			}
		})
	}
}

// FuzzFrontMatter: any input either parses or fails with a line inside the
// file; never a panic.
func FuzzFrontMatter(f *testing.F) {
	f.Add([]byte("---\ntitle: T\nweight: 1\n---\nbody"))
	f.Add([]byte("---\r\ntitle: \"q\\\"x\"\r\n---\r\n"))
	f.Add([]byte("---\ntitle: [x\n---\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		fm, _, line, err := splitFrontMatter(src)
		if err != nil {
			return
		}
		if line < 2 {
			t.Fatalf("body line %d", line)
		}
		_, err = parseFrontMatter(fm)
		if fe, ok := err.(*fmError); ok {
			if fe.line < 1 || fe.line > strings.Count(string(src), "\n")+1 {
				t.Fatalf("error line %d outside the file", fe.line)
			}
		}
	})
}
