package lexers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alecthomas/chroma/v2"
)

func lex(t testing.TB, l chroma.Lexer, src string) []chroma.Token {
	t.Helper()
	it, err := l.Tokenise(nil, src)
	if err != nil {
		t.Fatal(err)
	}
	return it.Tokens()
}

// checkContract asserts the two promises every lexer here keeps: the tokens
// give back the input exactly, and none is an Error.
func checkContract(t testing.TB, name string, l chroma.Lexer, src string) []chroma.Token {
	t.Helper()
	toks := lex(t, l, src)
	var b strings.Builder
	for _, tk := range toks {
		if tk.Type == chroma.Error {
			t.Fatalf("%s: Error token %q", name, tk.Value)
		}
		b.WriteString(tk.Value)
	}
	if b.String() != src {
		t.Fatalf("%s: tokens do not give back the input:\n got %q\nwant %q", name, b.String(), src)
	}
	return toks
}

// typeOf returns the type of the token whose value is exactly want.
func typeOf(toks []chroma.Token, want string) (chroma.TokenType, bool) {
	for _, tk := range toks {
		if tk.Value == want {
			return tk.Type, true
		}
	}
	return 0, false
}

func TestKinds(t *testing.T) {
	tests := []struct {
		lexer chroma.Lexer
		src   string
		spots map[string]chroma.TokenType
	}{
		{Go, "package main\n\nimport \"fmt\"\n\n// Hello says hi.\nfunc main() {\n\tx := len(\"a\") + 1.5\n\tfmt.Println(x, nil, true)\n\tvar r rune = 'r'\n\t_ = `raw`\n}\n", map[string]chroma.TokenType{
			"package": chroma.KeywordNamespace, "main": chroma.NameNamespace, `"fmt"`: chroma.LiteralString,
			"// Hello says hi.": chroma.CommentSingle, "func": chroma.KeywordDeclaration, "len": chroma.NameBuiltin,
			"1.5": chroma.LiteralNumberFloat, "Println": chroma.NameFunction, "nil": chroma.KeywordConstant,
			"rune": chroma.KeywordType, "'r'": chroma.LiteralStringChar, "`raw`": chroma.LiteralStringBacktick, ":=": chroma.Operator,
		}},
		{Bash, "#!/bin/sh\n# build it\nexport GOOS=linux\nif [ -n \"$HOME\" ]; then echo \"hi ${USER:-x} $(whoami)\"; fi\ncat <<'EOF' > f\nFROM scratch\nEOF\ndocker run --rm -p 5000:5000 multistage 2>&1 | tee log\n", map[string]chroma.TokenType{
			"#!/bin/sh": chroma.CommentHashbang, "# build it": chroma.CommentSingle, "export": chroma.NameBuiltin,
			"GOOS": chroma.NameVariable, "if": chroma.Keyword, "then": chroma.Keyword, "echo": chroma.NameBuiltin,
			"$HOME": chroma.NameVariable, "${USER:-x}": chroma.NameVariable, "$(": chroma.LiteralStringInterpol,
			"'EOF'": chroma.NameConstant, "FROM scratch\n": chroma.LiteralStringHeredoc, "EOF": chroma.NameConstant,
			"|": chroma.Operator, "fi": chroma.Keyword,
		}},
		{YAML, "# comment\napiVersion: apps/v1\nkind: Deployment\nspec:\n  replicas: 2\n  enabled: true\n  - name: \"web\"\n    ports: [5000]\n", map[string]chroma.TokenType{
			"# comment": chroma.CommentSingle, "apiVersion": chroma.NameTag, "apps/v1": chroma.LiteralString,
			"2": chroma.LiteralNumber, "true": chroma.KeywordConstant, `"web"`: chroma.LiteralStringDouble, "-": chroma.Punctuation,
		}},
		{JSON, `{"variant": "multistage", "binary_bytes": 11600000, "container": true, "x": null}`, map[string]chroma.TokenType{
			`"variant"`: chroma.NameTag, `"multistage"`: chroma.LiteralStringDouble, "11600000": chroma.LiteralNumber,
			"true": chroma.KeywordConstant, "null": chroma.KeywordConstant,
		}},
		{Console, "$ docker image ls multistage\nREPOSITORY   TAG\nmultistage   latest\n", map[string]chroma.TokenType{
			"$ ": chroma.GenericPrompt, "REPOSITORY   TAG\nmultistage   latest\n": chroma.GenericOutput,
		}},
		{Diff, "--- a\n+++ b\n@@ -1 +1 @@\n-FROM golang\n+FROM scratch\n", map[string]chroma.TokenType{
			"-FROM golang\n": chroma.GenericDeleted, "+FROM scratch\n": chroma.GenericInserted, "@@ -1 +1 @@\n": chroma.GenericSubheading,
		}},
	}
	for _, tt := range tests {
		name := tt.lexer.Config().Name
		toks := checkContract(t, name, tt.lexer, tt.src)
		for v, want := range tt.spots {
			got, ok := typeOf(toks, v)
			if !ok {
				t.Errorf("%s: no token %q in %v", name, v, toks)
			} else if got != want {
				t.Errorf("%s: %q is %v, want %v", name, v, got, want)
			}
		}
	}
}

// TestRepositoryFiles lexes every Go, shell and YAML file of the repository.
func TestRepositoryFiles(t *testing.T) {
	n := 0
	_ = filepath.WalkDir("../..", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() && (d.Name() == ".git" || d.Name() == "public") {
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		var l chroma.Lexer
		switch filepath.Ext(p) {
		case ".go":
			l = Go
		case ".sh":
			l = Bash
		case ".yaml", ".yml":
			l = YAML
		case ".json":
			l = JSON
		}
		if l == nil || d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil || len(b) > 1<<20 {
			return nil
		}
		checkContract(t, p, l, string(b))
		n++
		return nil
	})
	if n < 20 {
		t.Errorf("lexed only %d files", n)
	}
}

func TestEdgeCases(t *testing.T) {
	inputs := []string{"", "\n", "\r\n", "\"unterminated", "'x", "`", "$", "${", "$(", "$((1+", "<<", "<<EOF", "cat <<EOF\nbody", "/*", "//", "x\r\ny\r\n", "\xff\xfe", "# only", "-", ": :", "{\"a\":", "---", "\t- - x"}
	for _, l := range []chroma.Lexer{Go, Bash, Console, YAML, JSON, Diff} {
		for _, in := range inputs {
			checkContract(t, l.Config().Name+" "+strings.ReplaceAll(in, "\n", `\n`), l, in)
		}
	}
}

func TestGet(t *testing.T) {
	for name, want := range map[string]string{"go": "Go", "golang": "Go", "sh": "Bash", "shell": "Bash", "console": "Console", "yml": "YAML", "json": "JSON", "patch": "Diff"} {
		l := Get(name)
		if l == nil || l.Config().Name != want {
			t.Errorf("Get(%q) = %v, want %s", name, l, want)
		}
	}
	if Get("cobol") != nil {
		t.Error("Get(cobol) is not nil")
	}
}

func FuzzLexers(f *testing.F) {
	f.Add("package main\nfunc main() { println(`x`) }\n")
	f.Add("echo \"$HOME ${X:-y} $(date)\" | tee <<EOF\nbody\nEOF\n")
	f.Add("a: [1, 2]\n- b: 'c' # d\n")
	f.Add(`{"a": [1, true, null]}`)
	f.Fuzz(func(t *testing.T, src string) {
		for _, l := range []chroma.Lexer{Go, Bash, Console, YAML, JSON, Diff} {
			checkContract(t, l.Config().Name, l, src)
		}
	})
}

func BenchmarkGo(b *testing.B) {
	src, err := os.ReadFile("../../app/app.go")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		lex(b, Go, string(src))
	}
}
