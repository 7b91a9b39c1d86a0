package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestCurrent keeps the committed stylesheet equal to what the command makes.
func TestCurrent(t *testing.T) {
	want, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("..", "..", Path))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of date: run go run ./tools/chromacss", Path)
	}
}
