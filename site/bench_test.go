package site

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
)

// corpus makes n tutorial-like pages shaped like bench/gen-corpus.sh's
// (front matter, a table, lists, a Dockerfile, a Go and a shell block, a
// link to the previous lesson), each distinct so that no highlighted block
// is memoised.
func corpus(n int) fstest.MapFS {
	fsys := fstest.MapFS{}
	topics := []string{"volumes", "networking", "healthchecks", "secrets", "caching"}
	for i := 1; i <= n; i++ {
		t, port := topics[i%len(topics)], 8000+i%1000
		prev := max(i-1, 1)
		var b strings.Builder
		fmt.Fprintf(&b, "---\ntitle: \"Lesson %d: Docker %s\"\nweight: %d\n---\n\n# Lesson %d: Docker %s\n\n", i, t, i, i, t)
		fmt.Fprintf(&b, "In this lesson we look at **%s** in Docker, on port `%d`. See [the previous lesson](../page-%05d/).\n\n", t, port, prev)
		b.WriteString("## Prerequisites\n\n- Docker Engine 24 or newer (`docker version`)\n- A terminal and a text editor\n\n")
		fmt.Fprintf(&b, "## Comparing base images\n\n| Base image | Size | Shell |\n|---|--:|:-:|\n| scratch | 0 MB | no |\n| alpine:3.19 | 3.4 MB | yes |\n| lesson %d | varies | maybe |\n\n", i)
		fmt.Fprintf(&b, "## The Dockerfile\n\n```dockerfile\nFROM golang:1.2%d AS build\nWORKDIR /src\nCOPY go.mod go.sum ./\nRUN --mount=type=cache,target=/go/pkg/mod go mod download\nCOPY . .\nRUN CGO_ENABLED=0 go build -trimpath -ldflags=\"-s -w\" -o /out/app ./cmd/app\n\nFROM scratch\nCOPY --from=build /out/app /app\nEXPOSE %d\nENTRYPOINT [\"/app\"]\n```\n\n", i%3, port)
		fmt.Fprintf(&b, "## The Go program\n\n```go\npackage main\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n)\n\nfunc main() {\n\taddr := \":%d\"\n\thttp.HandleFunc(\"/\", func(w http.ResponseWriter, r *http.Request) {\n\t\tfmt.Fprintf(w, \"hello from lesson %d (%s)\\n\")\n\t})\n\tlog.Fatal(http.ListenAndServe(addr, nil))\n}\n```\n\n", port, i, t)
		fmt.Fprintf(&b, "## Build and run\n\n```bash\ndocker build -t lesson-%d:latest .\ndocker run --rm -p %d:%d lesson-%d:latest &\ncurl -s http://localhost:%d/\n```\n\n### Things to check\n\n1. Run `docker history lesson-%d`.\n2. Rebuild and notice the cache hits.\n\n> Multistage builds keep compilers out of production images.\n", i, port, port, i, port, i)
		fsys[fmt.Sprintf("content/page-%05d.md", i)] = &fstest.MapFile{Data: []byte(b.String())}
	}
	return fsys
}

// BenchmarkBuild measures an export build (no gzip) of 1000 pages:
//
//	go test -run XXX -bench Build -benchtime 3x -cpuprofile cpu.out ./site
func BenchmarkBuild(b *testing.B) {
	src := corpus(1000)
	b.ResetTimer()
	for range b.N {
		s, err := Build(src, Options{NoGzip: true})
		if err != nil {
			b.Fatal(err)
		}
		if len(s.Pages) != 1000 {
			b.Fatalf("%d pages", len(s.Pages))
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/page")
}
