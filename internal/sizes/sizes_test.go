package sizes

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The test binary doubles as a fake docker CLI: Run is pointed at it with
// SIZES_FAKE_DOCKER=1, and SIZES_FAKE_SCENARIO picks its behaviour.
func TestMain(m *testing.M) {
	if os.Getenv("SIZES_FAKE_DOCKER") == "1" {
		os.Exit(fakeDocker(os.Args[1:]))
	}
	os.Exit(m.Run())
}

const (
	fakeBinary     = 11_590_123
	fakeMultistage = 11_590_123
	fakeBase       = 690_381_952
	fakeNormalTop  = 158_000_000
)

func fakeDocker(args []string) int {
	scenario := os.Getenv("SIZES_FAKE_SCENARIO")
	if log := os.Getenv("SIZES_FAKE_LOG"); log != "" {
		f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprintln(f, strings.Join(args, " "))
			f.Close()
		}
	}
	fail := func(msg string) int { fmt.Fprintln(os.Stderr, msg); return 1 }
	last := args[len(args)-1]
	switch args[0] {
	case "version":
		if scenario == "nodaemon" {
			fmt.Println("Client: Docker Engine - Community")
			return fail("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?")
		}
		fmt.Println("20.10.24+dfsg1")
	case "build":
		fmt.Println("Step 1/30 : FROM golang:1.26 AS build\n ---> 6a12f7f71f52")
		for i := 2; i <= 29; i++ {
			fmt.Printf("Step %d/30 : RUN something %d\n ---> %012d\n", i, i, i)
		}
		fmt.Println("Step 30/30 : FROM scratch\n ---> ")
		if scenario == "nobase" || (scenario == "buildfail" && strings.Contains(strings.Join(args, " "), "Dockerfile.normal")) {
			fmt.Println("main.go:3:2: undefined: nonsense")
			return fail("The command '/bin/sh -c go build .' returned a non-zero code: 1")
		}
		fmt.Println("Successfully tagged " + args[4])
	case "image":
		var info imageInfo
		switch last {
		case BaseImage:
			if scenario == "nobase" {
				return fail("Error: No such image: golang:1.26")
			}
			info.ID, info.Size = "sha256:base", fakeBase
			info.Config.Labels = map[string]string{StandinLabel: "true", StandinFromNote: "debootstrap trixie"}
			info.RootFS.Layers = []string{"sha256:l0"}
		case Tag(NameMultistage):
			if strings.Contains(strings.Join(args, " "), "{{.Id}}") {
				fmt.Println("sha256:previous") // an earlier run's image
				return 0
			}
			info.ID, info.Size = "sha256:multi", fakeMultistage
			info.RootFS.Layers = []string{"sha256:l1"}
		case Tag(NameNormal):
			info.ID, info.Size = "sha256:normal", fakeBase+fakeNormalTop+1000
			info.RootFS.Layers = []string{"sha256:l0", "sha256:l2", "sha256:l3", "sha256:l4"}
		default:
			return fail("Error: No such image: " + last)
		}
		b, _ := json.Marshal(info)
		fmt.Println(string(b))
	case "history":
		if scenario == "badhistory" {
			fmt.Println("12MB\tCOPY")
			return 0
		}
		switch last {
		case BaseImage:
			fmt.Printf("%d\t\"\"\n", fakeBase)
		case Tag(NameMultistage):
			fmt.Print("0\t\"/bin/sh -c #(nop)  LABEL org.multistage.sizes=true\"\n")
			fmt.Print("0\t\"/bin/sh -c #(nop)  CMD [\\\"serve\\\"]\"\n")
			fmt.Print("0\t\"/bin/sh -c #(nop)  ENTRYPOINT [\\\"/multistage\\\"]\"\n")
			fmt.Printf("%d\t\"/bin/sh -c #(nop) COPY file:abc in /multistage \"\n", fakeMultistage)
		case Tag(NameNormal):
			fmt.Print("0\t\"/bin/sh -c #(nop)  CMD [\\\"/usr/local/bin/multistage\\\" \\\"serve\\\"]\"\n")
			fmt.Printf("%d\t\"/bin/sh -c go build -o /usr/local/bin/multistage . && echo <ok>\"\n", fakeNormalTop)
			fmt.Print("1000\t\"/bin/sh -c #(nop) COPY dir:abc in . \"\n")
			fmt.Print("0\t\"/bin/sh -c go mod download\"\n")
			fmt.Printf("%d\t\"\"\n", fakeBase)
		}
	case "create":
		fmt.Println("cid0123")
	case "cp":
		tw := tar.NewWriter(os.Stdout)
		tw.WriteHeader(&tar.Header{Name: "multistage", Typeflag: tar.TypeReg, Mode: 0o755, Size: fakeBinary})
		tw.Write(make([]byte, fakeBinary))
		tw.Close()
	case "rm":
		fmt.Println(last)
	default:
		return fail("fake docker: unknown command " + args[0])
	}
	return 0
}

func fakeContext(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"Dockerfile", "Dockerfile.normal"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("FROM golang:1.26\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func selfPath(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

var fixedNow = func() time.Time { return time.Date(2026, 12, 3, 17, 4, 5, 600_000_000, time.FixedZone("X", 3600)) }

func TestRunFake(t *testing.T) {
	tests := []struct {
		scenario string
		docker   string // "" = the fake
		noFiles  bool
		wantErr  string // substring; "" = success
		wantLog  string // substring of stderr
	}{
		{scenario: "ok"},
		{scenario: "nodaemon", wantErr: "sizes: the Docker daemon does not answer (docker version: Cannot connect to the Docker daemon"},
		{scenario: "buildfail", wantErr: "sizes: docker build -f Dockerfile.normal failed (exit status 1): The command '/bin/sh -c go build .' returned a non-zero code: 1", wantLog: "  main.go:3:2: undefined: nonsense"},
		{scenario: "nobase", wantErr: "(no local golang:1.26: run deploy/golang-standin.sh)", wantLog: "golang:1.26 is not a local image"},
		{scenario: "badhistory", wantErr: `sizes: docker history multistage:sizes-multistage: line 1: size "12MB" is not a byte count`},
		{scenario: "ok", docker: "/nonexistent/docker", wantErr: `sizes: docker CLI "/nonexistent/docker" not found`},
		{scenario: "ok", noFiles: true, wantErr: "no Dockerfile in the build context"},
	}
	for _, tc := range tests {
		t.Run(tc.scenario+tc.docker, func(t *testing.T) {
			t.Setenv("SIZES_FAKE_DOCKER", "1")
			t.Setenv("SIZES_FAKE_SCENARIO", tc.scenario)
			logf := filepath.Join(t.TempDir(), "calls.log")
			t.Setenv("SIZES_FAKE_LOG", logf)
			dir := fakeContext(t)
			if tc.noFiles {
				dir = t.TempDir()
			}
			docker := tc.docker
			if docker == "" {
				docker = selfPath(t)
			}
			out := filepath.Join(t.TempDir(), "sub", "sizes.json")
			var stderr bytes.Buffer
			err := Run(context.Background(), Options{Dir: dir, Out: out, Docker: docker, Stderr: &stderr, Now: fixedNow})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
				if tc.wantLog != "" && !strings.Contains(stderr.String(), tc.wantLog) {
					t.Errorf("stderr lacks %q:\n%s", tc.wantLog, stderr.String())
				}
				if tc.scenario == "buildfail" {
					if n := strings.Count(stderr.String(), "\n  "); n != logTail {
						t.Errorf("stderr shows %d log lines, want %d", n, logTail)
					}
				}
				if _, err := os.Stat(out); err == nil {
					t.Error("report written despite the error")
				}
				return
			}
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, stderr.String())
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			checkFakeReport(t, b)
			calls, _ := os.ReadFile(logf)
			checkCalls(t, string(calls))
		})
	}
}

func checkFakeReport(t *testing.T, b []byte) {
	t.Helper()
	r, err := Load(b)
	if err != nil {
		t.Fatalf("Load: %v\n%s", err, b)
	}
	if r.MeasuredAt != "2026-12-03T16:04:05Z" {
		t.Errorf("measured_at = %q", r.MeasuredAt)
	}
	if r.DockerVersion != "20.10.24+dfsg1" {
		t.Errorf("docker_version = %q", r.DockerVersion)
	}
	if !r.Builder.Standin || !strings.Contains(r.Builder.StandinNote, "debootstrap trixie") || r.Builder.Bytes != fakeBase {
		t.Errorf("builder = %+v", r.Builder)
	}
	if r.Host.CPUs <= 0 {
		t.Errorf("host = %+v", r.Host)
	}
	if r.BinaryBytes != fakeBinary {
		t.Errorf("binary_bytes = %d", r.BinaryBytes)
	}
	m, n := r.Image(NameMultistage), r.Image(NameNormal)
	if m.LayerCount != 1 || len(m.Layers) != 3 || m.Layers[0].Bytes != fakeMultistage || m.Layers[0].Base {
		t.Errorf("multistage layers = %d %+v", m.LayerCount, m.Layers)
	}
	if !strings.HasPrefix(m.Layers[0].CreatedBy, "/bin/sh -c #(nop) COPY") || m.Layers[2].CreatedBy != `/bin/sh -c #(nop)  CMD ["serve"]` {
		t.Errorf("multistage created_by = %+v", m.Layers)
	}
	if !n.Layers[0].Base || n.Layers[1].Base || n.LayerCount != 4 {
		t.Errorf("normal layers = %+v", n.Layers)
	}
	if r.Ratio != 73.2 {
		t.Errorf("ratio = %v", r.Ratio)
	}
	if !bytes.HasSuffix(b, []byte("}\n")) || !bytes.Contains(b, []byte("\n  \"docker_version\": ")) || !bytes.Contains(b, []byte("&& echo <ok>")) {
		t.Errorf("formatting:\n%s", b)
	}
	// Deterministic: marshalling what was loaded gives the same bytes.
	again, err := r.Marshal()
	if err != nil || !bytes.Equal(again, b) {
		t.Errorf("re-marshal differs:\n%s\nvs\n%s", again, b)
	}
	// Field order is the schema's.
	order := []string{"measured_at", "docker_version", "builder", "images", "binary_bytes", "ratio", "host"}
	last := -1
	for _, k := range order {
		i := bytes.Index(b, []byte(`"`+k+`"`))
		if i < last {
			t.Errorf("field %s out of order", k)
		}
		last = i
	}
}

func checkCalls(t *testing.T, calls string) {
	t.Helper()
	var builds, cold int
	for _, l := range strings.Split(calls, "\n") {
		if strings.HasPrefix(l, "build ") {
			builds++
			if !strings.Contains(l, "--label "+LabelKey+"=true") || !strings.Contains(l, "--force-rm") {
				t.Errorf("build without label or --force-rm: %s", l)
			}
			if strings.Contains(l, "--no-cache") {
				cold++
			}
		}
	}
	if builds != 4 || cold != 2 {
		t.Errorf("%d builds (%d cold), want 4 (2 cold):\n%s", builds, cold, calls)
	}
	if !strings.Contains(calls, "rmi sha256:previous") || strings.Contains(calls, "rmi sha256:multi") {
		t.Errorf("the image an earlier run left under the tag was not removed (or the new one was):\n%s", calls)
	}
	if strings.Count(calls, "rmi 000000000029") != 2 {
		t.Errorf("build-stage images not removed once per cold build:\n%s", calls)
	}
	if !strings.Contains(calls, "create --label "+LabelKey+"=true "+Tag(NameMultistage)) || !strings.Contains(calls, "rm -f cid0123") {
		t.Errorf("container not created with a label or not removed:\n%s", calls)
	}
}

func TestParseHistory(t *testing.T) {
	tests := []struct {
		in      string
		want    []Layer
		wantErr string
	}{
		{in: "0\t\"CMD\"\n12\t\"COPY x\"\n", want: []Layer{{"COPY x", 12, false}, {"CMD", 0, false}}},
		{in: "5\t\"\"", want: []Layer{{"", 5, false}}},
		{in: "5\t\"  a\\tb  \"\n\n", want: []Layer{{"a\tb", 5, false}}},
		{in: "", wantErr: "no history"},
		{in: "12MB\t\"x\"", wantErr: `size "12MB"`},
		{in: "-1\t\"x\"", wantErr: `size "-1"`},
		{in: "12 x", wantErr: "no tab"},
		{in: "12\tx", wantErr: "not a JSON string"},
	}
	for _, tc := range tests {
		got, err := parseHistory(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseHistory(%q) err = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("parseHistory(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestStageImages(t *testing.T) {
	tests := []struct{ log, want string }{
		{"Step 1/9 : FROM golang:1.26 AS build\n ---> 6a12f7f71f52\nStep 2/9 : WORKDIR /src\n ---> Running in 0123456789ab\n" +
			"Removing intermediate container 0123456789ab\n ---> aaaaaaaaaaaa\nStep 3/9 : FROM scratch\n ---> \n" +
			"Step 4/9 : COPY --from=build /out/multistage /multistage\n ---> bbbbbbbbbbbb\nSuccessfully built bbbbbbbbbbbb\n", "[aaaaaaaaaaaa]"},
		{"Step 1/2 : FROM golang:1.26\n ---> 6a12f7f71f52\nStep 2/2 : RUN x\n ---> cccccccccccc\n", "[]"},
		{"", "[]"},
	}
	for _, tc := range tests {
		if got := fmt.Sprint(StageImages(tc.log)); got != tc.want {
			t.Errorf("stageImages = %s, want %s", got, tc.want)
		}
	}
}

func TestMarkBase(t *testing.T) {
	base := []Layer{{CreatedBy: "", Bytes: 10}, {CreatedBy: "ENV"}}
	tests := []struct {
		img  []Layer
		want string
	}{
		{[]Layer{{Bytes: 10}, {CreatedBy: "ENV"}, {CreatedBy: "RUN", Bytes: 5}}, "[{ 10 true} {ENV 0 true} {RUN 5 false}]"},
		{[]Layer{{Bytes: 11}, {CreatedBy: "ENV"}, {CreatedBy: "RUN", Bytes: 5}}, "[{ 11 false} {ENV 0 false} {RUN 5 false}]"},
		{[]Layer{{Bytes: 10}}, "[{ 10 false}]"},
	}
	for _, tc := range tests {
		markBase(tc.img, base)
		if got := fmt.Sprint(tc.img); got != tc.want {
			t.Errorf("markBase = %s, want %s", got, tc.want)
		}
	}
}

func TestTarFileSize(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.WriteHeader(&tar.Header{Name: "d/f", Typeflag: tar.TypeReg, Mode: 0o644, Size: 3})
	tw.Write([]byte("abc"))
	tw.Close()
	if n, err := tarFileSize(&buf); n != 3 || err != nil {
		t.Errorf("tarFileSize = %d, %v", n, err)
	}
	if _, err := tarFileSize(strings.NewReader("")); err == nil {
		t.Error("empty archive: no error")
	}
}

func TestTail(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"a\nb\n\nc\n", 2, "[b c]"},
		{"a\r\nb", 5, "[a b]"},
		{"", 3, "[]"},
	}
	for _, tc := range tests {
		if got := fmt.Sprint(tail(tc.in, tc.n)); got != tc.want {
			t.Errorf("tail(%q, %d) = %s, want %s", tc.in, tc.n, got, tc.want)
		}
	}
}

func validReport() *Report {
	return &Report{
		MeasuredAt:    "2026-12-03T17:04:05Z",
		DockerVersion: "20.10.24",
		Builder:       Builder{Image: BaseImage, ID: "sha256:b", Bytes: 100, Standin: true, StandinNote: "x"},
		Images: []Image{
			{Name: NameMultistage, Dockerfile: "Dockerfile", Tag: "t1", ID: "i1", Bytes: 10, LayerCount: 1, Layers: []Layer{{CreatedBy: "COPY", Bytes: 10}}},
			{Name: NameNormal, Dockerfile: "Dockerfile.normal", Tag: "t2", ID: "i2", Bytes: 1000, LayerCount: 2, Layers: []Layer{{Bytes: 900, Base: true}, {CreatedBy: "RUN", Bytes: 100}}},
		},
		BinaryBytes: 9,
		Ratio:       100,
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(r *Report)
		raw     string
		wantErr string
	}{
		{name: "valid", edit: func(*Report) {}},
		{name: "no time", edit: func(r *Report) { r.MeasuredAt = "" }, wantErr: "measured_at is missing"},
		{name: "bad time", edit: func(r *Report) { r.MeasuredAt = "yesterday" }, wantErr: "not RFC 3339"},
		{name: "not utc", edit: func(r *Report) { r.MeasuredAt = "2026-12-03T17:04:05+01:00" }, wantErr: "not UTC"},
		{name: "no docker", edit: func(r *Report) { r.DockerVersion = "" }, wantErr: "docker_version"},
		{name: "no builder", edit: func(r *Report) { r.Builder.ID = "" }, wantErr: "builder.image"},
		{name: "standin note", edit: func(r *Report) { r.Builder.StandinNote = "" }, wantErr: "standin_note"},
		{name: "one image", edit: func(r *Report) { r.Images = r.Images[:1] }, wantErr: "images must be"},
		{name: "swapped", edit: func(r *Report) { r.Images[0], r.Images[1] = r.Images[1], r.Images[0] }, wantErr: "images must be"},
		{name: "no tag", edit: func(r *Report) { r.Images[1].Tag = "" }, wantErr: "images[1] (normal): dockerfile, tag and id"},
		{name: "zero bytes", edit: func(r *Report) { r.Images[0].Bytes = 0 }, wantErr: "bytes must be positive"},
		{name: "no layers", edit: func(r *Report) { r.Images[0].Layers = nil }, wantErr: "no layers"},
		{name: "negative time", edit: func(r *Report) { r.Images[0].BuildSecondsWarm = -1 }, wantErr: "negative build time"},
		{name: "layer sum", edit: func(r *Report) { r.Images[1].Layers[1].Bytes = 99 }, wantErr: "layers add up to 999 bytes, not 1000"},
		{name: "no binary", edit: func(r *Report) { r.BinaryBytes = 0 }, wantErr: "binary_bytes must be positive"},
		{name: "big binary", edit: func(r *Report) { r.BinaryBytes = 11 }, wantErr: "exceeds"},
		{name: "ratio", edit: func(r *Report) { r.Ratio = 99 }, wantErr: "ratio is 99, but normal/multistage bytes give 100"},
		{name: "syntax", raw: "{", wantErr: "sizes.json: unexpected EOF"},
		{name: "unknown field", raw: `{"size": 1}`, wantErr: `unknown field "size"`},
		{name: "trailing", raw: "VALID {}", wantErr: "trailing data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var b []byte
			switch {
			case strings.HasPrefix(tc.raw, "VALID"):
				v, _ := validReport().Marshal()
				b = append(v, tc.raw[len("VALID"):]...)
			case tc.raw != "":
				b = []byte(tc.raw)
			default:
				r := validReport()
				tc.edit(r)
				var err error
				if b, err = r.Marshal(); err != nil {
					t.Fatal(err)
				}
			}
			r, err := Load(b)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				if r.Image(NameNormal).Bytes != 1000 || r.Image("nope") != nil {
					t.Errorf("Image lookup wrong")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "sizes.json: ") {
				t.Errorf("error does not name the file: %v", err)
			}
		})
	}
}

func TestBuildErrorUnwrap(t *testing.T) {
	inner := errors.New("exit status 2")
	err := error(&BuildError{Dockerfile: "Dockerfile", Err: inner, Log: []string{"a", "b  ", ""}})
	if !errors.Is(err, inner) {
		t.Error("BuildError does not unwrap")
	}
	if got := err.Error(); got != "sizes: docker build -f Dockerfile failed (exit status 2): b" {
		t.Errorf("Error() = %q", got)
	}
}
