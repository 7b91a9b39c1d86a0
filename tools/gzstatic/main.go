// Command gzstatic writes, beside each file of a static export, the gzip
// copy that `multistage serve` sends for it (NAME.gz), so that nginx's
// gzip_static serves the very bytes our server does. bench/serve-speed.sh
// uses it; it is a developer tool and is not linked into the served binary.
//
//	go run ./tools/gzstatic -src . -dir public
//
// A file whose bytes differ from what the site serves at its path (an
// export made from other sources, or with -base) is left alone and counted.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"multistage/site"
)

func main() {
	src := flag.String("src", ".", "the sources the export was made from (the repository)")
	dir := flag.String("dir", "public", "the exported site")
	flag.Parse()
	s, err := site.Build(os.DirFS(*src), site.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "gzstatic:", err)
		os.Exit(1)
	}
	wrote, differ := 0, 0
	for _, p := range s.Paths() {
		e := s.Entry(p)
		if e == nil || e.Gzip == nil {
			continue
		}
		name := filepath.Join(*dir, filePath(p))
		b, err := os.ReadFile(name)
		if err != nil || !bytes.Equal(b, e.Body) {
			differ++
			continue
		}
		if err := os.WriteFile(name+".gz", e.Gzip, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gzstatic:", err)
			os.Exit(1)
		}
		wrote++
	}
	fmt.Printf("gzstatic: wrote %d .gz files with the server's gzip bytes; %d exported files differ from the served ones\n", wrote, differ)
}

// filePath maps a URL path to the exported file: "/" is index.html and
// "/usage/" is usage/index.html, as multistage build writes them.
func filePath(p string) string {
	p = strings.TrimPrefix(p, "/")
	if p == "" || strings.HasSuffix(p, "/") {
		p += "index.html"
	}
	return filepath.FromSlash(p)
}
