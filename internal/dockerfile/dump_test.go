package dockerfile

import (
	"fmt"
	"os"
	"testing"
)

// TestDump prints the tokens of the file named by DOCKERFILE_DUMP; it is a
// debugging aid and skipped otherwise.
func TestDump(t *testing.T) {
	path := os.Getenv("DOCKERFILE_DUMP")
	if path == "" {
		t.Skip("set DOCKERFILE_DUMP=path to print a token dump")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	it, _ := Lexer.Tokenise(nil, string(src))
	for _, tok := range it.Tokens() {
		fmt.Printf("%-22s %q\n", tok.Type, tok.Value)
	}
}
