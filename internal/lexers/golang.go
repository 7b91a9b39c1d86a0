package lexers

import (
	"go/scanner"
	"go/token"
	"strings"

	"github.com/alecthomas/chroma/v2"
)

// Go lexes Go source with the standard library's own scanner.
var Go = New(&chroma.Config{Name: "Go", Aliases: []string{"go", "golang"}, Filenames: []string{"*.go"}, MimeTypes: []string{"text/x-gosrc"}}, lexGo)

var goTypes = map[string]bool{
	"any": true, "bool": true, "byte": true, "comparable": true, "complex64": true, "complex128": true, "error": true,
	"float32": true, "float64": true, "int": true, "int8": true, "int16": true, "int32": true, "int64": true,
	"rune": true, "string": true, "uint": true, "uint8": true, "uint16": true, "uint32": true, "uint64": true, "uintptr": true,
}

var goBuiltins = map[string]bool{
	"append": true, "cap": true, "clear": true, "close": true, "complex": true, "copy": true, "delete": true, "imag": true,
	"len": true, "make": true, "max": true, "min": true, "new": true, "panic": true, "print": true, "println": true,
	"real": true, "recover": true,
}

func lexGo(src string) []chroma.Token {
	fset := token.NewFileSet()
	file := fset.AddFile("", fset.Base(), len(src))
	var s scanner.Scanner
	// Errors (an unterminated string in a snippet, say) are not ours to
	// report: the scanner recovers and the text is still shown.
	s.Init(file, []byte(src), func(token.Position, string) {}, scanner.ScanComments)
	type item struct {
		off, end int
		tok      token.Token
		lit      string
	}
	var items []item
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		if tok == token.SEMICOLON && lit != ";" {
			continue // automatic semicolon ("\n" or at EOF): not in the text
		}
		off := file.Offset(pos)
		end := goTokenEnd(src, off, tok, lit)
		items = append(items, item{off, end, tok, lit})
	}
	t := &tokens{src: src}
	at := 0
	for i, it := range items {
		if it.off < at || it.end > len(src) || it.end <= it.off {
			continue // cannot happen for a well-behaved scanner; never break the round trip
		}
		t.add(chroma.TextWhitespace, src[at:it.off])
		text := src[it.off:it.end]
		var next token.Token
		if i+1 < len(items) {
			next = items[i+1].tok
		}
		var prev token.Token
		if i > 0 {
			prev = items[i-1].tok
		}
		t.add(goType(it.tok, text, prev, next), text)
		at = it.end
	}
	t.add(chroma.TextWhitespace, src[at:])
	return t.out
}

// goTokenEnd finds where a token ends in the source. The scanner's literal
// is exact except that it drops carriage returns from comments and raw
// strings, so those are measured in the source itself.
func goTokenEnd(src string, off int, tok token.Token, lit string) int {
	switch {
	case tok == token.COMMENT && strings.HasPrefix(lit, "//"):
		if i := strings.IndexByte(src[off:], '\n'); i >= 0 {
			end := off + i
			if end > off && src[end-1] == '\r' {
				end--
			}
			return end
		}
		return len(src)
	case tok == token.COMMENT:
		if i := strings.Index(src[off+2:], "*/"); i >= 0 {
			return off + 2 + i + 2
		}
		return len(src)
	case tok == token.STRING && strings.HasPrefix(lit, "`"):
		if i := strings.IndexByte(src[off+1:], '`'); i >= 0 {
			return off + 1 + i + 1
		}
		return len(src)
	case lit != "":
		return off + len(lit)
	}
	return off + len(tok.String())
}

func goType(tok token.Token, text string, prev, next token.Token) chroma.TokenType {
	switch {
	case tok == token.COMMENT && strings.HasPrefix(text, "//"):
		return chroma.CommentSingle
	case tok == token.COMMENT:
		return chroma.CommentMultiline
	case tok == token.STRING && strings.HasPrefix(text, "`"):
		return chroma.LiteralStringBacktick
	case tok == token.STRING:
		return chroma.LiteralString
	case tok == token.CHAR:
		return chroma.LiteralStringChar
	case tok == token.INT:
		return chroma.LiteralNumberInteger
	case tok == token.FLOAT:
		return chroma.LiteralNumberFloat
	case tok == token.IMAG:
		return chroma.LiteralNumber
	case tok == token.PACKAGE || tok == token.IMPORT:
		return chroma.KeywordNamespace
	case tok == token.FUNC || tok == token.VAR || tok == token.CONST || tok == token.TYPE:
		return chroma.KeywordDeclaration
	case tok == token.STRUCT || tok == token.INTERFACE || tok == token.MAP || tok == token.CHAN:
		return chroma.KeywordType
	case tok.IsKeyword():
		return chroma.Keyword
	case tok == token.IDENT:
		switch {
		case text == "true" || text == "false" || text == "nil" || text == "iota":
			return chroma.KeywordConstant
		case goTypes[text]:
			return chroma.KeywordType
		case goBuiltins[text] && next == token.LPAREN:
			return chroma.NameBuiltin
		case prev == token.PACKAGE:
			return chroma.NameNamespace
		case next == token.LPAREN:
			return chroma.NameFunction
		}
		return chroma.NameOther
	case tok == token.ILLEGAL:
		return chroma.Text
	case tok == token.LPAREN || tok == token.RPAREN || tok == token.LBRACE || tok == token.RBRACE ||
		tok == token.LBRACK || tok == token.RBRACK || tok == token.COMMA || tok == token.SEMICOLON ||
		tok == token.COLON || tok == token.PERIOD || tok == token.ELLIPSIS:
		return chroma.Punctuation
	}
	return chroma.Operator
}
