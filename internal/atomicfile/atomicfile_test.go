package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "sub", "f.json")
	for _, data := range []string{"first", "second, longer"} {
		if err := Write(name, []byte(data), ".f-*.tmp"); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if err != nil || string(got) != data {
			t.Fatalf("read %q, %v; want %q", got, err, data)
		}
	}
	left, _ := filepath.Glob(filepath.Join(dir, "sub", ".f-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if fi, _ := os.Stat(name); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode())
	}
	// A folder where the file should be: the write fails, nothing is left.
	if err := os.Mkdir(filepath.Join(dir, "taken"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(filepath.Join(dir, "taken"), []byte("x"), ".t-*"); err == nil {
		t.Error("writing over a folder succeeded")
	}
}
