// Package e2e holds the end-to-end test: it builds the repository's two
// Dockerfiles, unchanged, with the local Docker daemon, runs both images and
// checks what the tutorial claims about them.
//
// It skips (with the reason) when docker or a local golang:1.26 is missing,
// unless MULTISTAGE_REQUIRE_DOCKER=1, which turns the skip into a failure.
// MULTISTAGE_FIGURES=FILE writes the measured figures there as JSON.
package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"multistage/internal/sizes"
)

const (
	baseImage = "golang:1.26"
	labelKey  = "org.multistage.e2e"
)

// Figures are what the test measured (written to MULTISTAGE_FIGURES).
type Figures struct {
	MeasuredAt           string  `json:"measured_at"`
	DockerVersion        string  `json:"docker_version"`
	BaseImageID          string  `json:"base_image_id"`
	BaseStandin          bool    `json:"base_standin"`
	MultistageBytes      int64   `json:"multistage_bytes"`
	MultistageOverBinary float64 `json:"multistage_over_binary"`
	NormalBytes          int64   `json:"normal_bytes"`
	NormalOverMultistage float64 `json:"normal_over_multistage"`
	BinaryBytes          int64   `json:"binary_bytes"`
	RunToFirst200Ms      float64 `json:"run_to_first_200_ms"`
	NormalRunToFirst200  float64 `json:"normal_run_to_first_200_ms"`
	MultistageBuildCold  float64 `json:"multistage_build_seconds_cold"`
	MultistageBuildWarm  float64 `json:"multistage_build_seconds_warm"`
	NormalBuildCold      float64 `json:"normal_build_seconds_cold"`
	NormalBuildWarm      float64 `json:"normal_build_seconds_warm"`
	MultistageStopSecs   float64 `json:"multistage_stop_seconds"`
	NormalStopSecs       float64 `json:"normal_stop_seconds"`
	// The machine's load average (1, 5, 15 min) around the measurement.
	LoadBefore string `json:"loadavg_before"`
	LoadAfter  string `json:"loadavg_after"`
}

// loadavg returns the first three fields of /proc/loadavg ("" elsewhere).
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return ""
}

// snapshot copies the build context (regular files and folders, .git left
// out; .dockerignore applies as usual) to a temporary folder.
func snapshot(t *testing.T, root string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules"):
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		case !d.Type().IsRegular():
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("snapshot of the build context: %v", err)
	}
	return dst
}

// docker runs the docker CLI for one test.
type docker struct {
	t   *testing.T
	bin string
}

// run runs docker and returns its stdout; the error carries stderr's last line.
func (d *docker) run(timeout time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, d.bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:]
		}
		if ctx.Err() != nil {
			msg = "timed out after " + timeout.String()
		}
		return stdout.String(), fmt.Errorf("docker %s: %v: %s", strings.Join(args, " "), err, msg)
	}
	return strings.TrimSpace(stdout.String()), nil
}

func (d *docker) must(timeout time.Duration, args ...string) string {
	d.t.Helper()
	out, err := d.run(timeout, args...)
	if err != nil {
		d.t.Fatal(err)
	}
	return out
}

// requireDocker returns a docker CLI, or skips (fails with
// MULTISTAGE_REQUIRE_DOCKER=1) when docker or a local golang:1.26 is missing.
func requireDocker(t *testing.T) *docker {
	t.Helper()
	required := os.Getenv("MULTISTAGE_REQUIRE_DOCKER") == "1"
	skip := func(format string, args ...any) {
		t.Helper()
		reason := fmt.Sprintf(format, args...)
		if required {
			t.Fatalf("MULTISTAGE_REQUIRE_DOCKER=1 but %s", reason)
		}
		t.Skipf("skipped: %s (MULTISTAGE_REQUIRE_DOCKER=1 makes this a failure)", reason)
	}
	if testing.Short() && !required {
		skip("-short")
	}
	bin, err := exec.LookPath("docker")
	if err != nil {
		skip("no docker CLI in PATH")
	}
	d := &docker{t: t, bin: bin}
	if _, err := d.run(15*time.Second, "version", "--format", "{{.Server.Version}}"); err != nil {
		skip("the Docker daemon does not answer (%v)", err)
	}
	if _, err := d.run(15*time.Second, "image", "inspect", baseImage); err != nil {
		skip("no local %s image (deploy/golang-standin.sh makes one)", baseImage)
	}
	return d
}

// build runs docker build and returns the seconds it took and its output.
func (d *docker) build(ctx, dockerfile, tag, label string, cold bool) (float64, string) {
	d.t.Helper()
	args := []string{"build", "-f", filepath.Join(ctx, dockerfile), "-t", tag, "--label", label, "--force-rm",
		"--build-arg", "VERSION=e2e", "--build-arg", "REVISION=e2e"}
	if cold {
		args = append(args, "--no-cache")
	}
	args = append(args, ctx)
	cmd := exec.Command(d.bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	secs := time.Since(start).Seconds()
	if err != nil {
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if len(lines) > 15 {
			lines = lines[len(lines)-15:]
		}
		d.t.Fatalf("docker build -f %s: %v\n%s", dockerfile, err, strings.Join(lines, "\n"))
	}
	return secs, out.String()
}

type inspect struct {
	ID     string `json:"Id"`
	Size   int64  `json:"Size"`
	Config struct {
		User   string            `json:"User"`
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
}

func (d *docker) imageInfo(ref string) inspect {
	d.t.Helper()
	var info inspect
	if err := json.Unmarshal([]byte(d.must(time.Minute, "image", "inspect", "--format", "{{json .}}", ref)), &info); err != nil {
		d.t.Fatalf("docker image inspect %s: %v", ref, err)
	}
	return info
}

// started is a running container and how long it took to answer.
type started struct {
	id, base    string // container ID, http://127.0.0.1:PORT
	first200Ms  float64
	runDuration time.Duration
}

// start runs image detached with extra flags on a random loopback port and
// waits for the first HTTP 200 from /healthz.
func (d *docker) start(image, label string, flags ...string) started {
	d.t.Helper()
	args := append([]string{"run", "-d", "--label", label, "-p", "127.0.0.1::5000"}, flags...)
	args = append(args, image)
	t0 := time.Now()
	id := d.must(time.Minute, args...)
	hostPort := d.must(30*time.Second, "port", id, "5000/tcp")
	hostPort = strings.Split(hostPort, "\n")[0]
	if !strings.HasPrefix(hostPort, "127.0.0.1:") {
		d.t.Fatalf("published on %q, want loopback only", hostPort)
	}
	s := started{id: id, base: "http://" + hostPort}
	client := &http.Client{Timeout: 500 * time.Millisecond}
	deadline := t0.Add(30 * time.Second)
	for {
		resp, err := client.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.runDuration = time.Since(t0)
				s.first200Ms = float64(s.runDuration.Microseconds()) / 1000
				return s
			}
		}
		if time.Now().After(deadline) {
			logs, _ := d.run(30*time.Second, "logs", "--tail", "20", id)
			d.t.Fatalf("%s: no HTTP 200 from /healthz within 30 s (last error %v)\n%s", image, err, logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitHealthy waits for the HEALTHCHECK to report healthy.
func (d *docker) waitHealthy(id string, within time.Duration) time.Duration {
	d.t.Helper()
	t0 := time.Now()
	for {
		st := d.must(30*time.Second, "inspect", "--format", "{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}", id)
		switch st {
		case "healthy":
			return time.Since(t0)
		case "none":
			d.t.Fatalf("container %s has no HEALTHCHECK", id)
		case "unhealthy":
			out, _ := d.run(30*time.Second, "inspect", "--format", "{{json .State.Health.Log}}", id)
			d.t.Fatalf("HEALTHCHECK unhealthy: %s", out)
		}
		if time.Since(t0) > within {
			d.t.Fatalf("HEALTHCHECK still %q after %v", st, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop stops a container and checks it exits 0 promptly.
func (d *docker) stop(id, name string) float64 {
	d.t.Helper()
	t0 := time.Now()
	d.must(time.Minute, "stop", id)
	secs := time.Since(t0).Seconds()
	code := d.must(30*time.Second, "inspect", "--format", "{{.State.ExitCode}}", id)
	if code != "0" {
		logs, _ := d.run(30*time.Second, "logs", "--tail", "20", id)
		d.t.Errorf("%s: exit code %s after docker stop, want 0\n%s", name, code, logs)
	}
	if secs >= 3 {
		d.t.Errorf("%s: docker stop took %.2f s, want < 3 s (is SIGTERM handled?)", name, secs)
	}
	return secs
}

func fetch(t *testing.T, url string) (int, string, []byte) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

// about is the part of /app/about the test checks.
type about struct {
	Variant     string `json:"variant"`
	Go          string `json:"go"`
	Revision    string `json:"revision"`
	BinaryBytes int64  `json:"binary_bytes"`
	Container   bool   `json:"container"`
	RootfsFiles int64  `json:"rootfs_files"`
	RootfsBytes int64  `json:"rootfs_bytes"`
	// Set while the walk is still running, or when a limit cut it short.
	RootfsPending   bool `json:"rootfs_pending"`
	RootfsTruncated bool `json:"rootfs_truncated"`
}

// checkPages fetches /, /app/ and /app/about and returns the self-report.
func checkPages(t *testing.T, base, variant string) about {
	t.Helper()
	if code, ctype, body := fetch(t, base+"/"); code != 200 || !strings.HasPrefix(ctype, "text/html") || !bytes.Contains(body, []byte("<html")) {
		t.Errorf("%s /: %d %s %.80q", variant, code, ctype, body)
	}
	if code, ctype, body := fetch(t, base+"/app/"); code != 200 || !strings.HasPrefix(ctype, "text/plain") || !bytes.HasPrefix(body, []byte("Hello, World!")) {
		t.Errorf("%s /app/: %d %s %.80q", variant, code, ctype, body)
	}
	// The rootfs walk runs in the background; a big image reports it later.
	var a about
	var body []byte
	for deadline := time.Now().Add(60 * time.Second); ; {
		var code int
		var ctype string
		code, ctype, body = fetch(t, base+"/app/about")
		if code != 200 || !strings.HasPrefix(ctype, "application/json") {
			t.Fatalf("%s /app/about: %d %s %.200q", variant, code, ctype, body)
		}
		a = about{}
		if err := json.Unmarshal(body, &a); err != nil {
			t.Fatalf("%s /app/about: %v: %.200q", variant, err, body)
		}
		if !a.RootfsPending || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if a.Variant != variant || !a.Container || a.RootfsFiles <= 0 || a.RootfsBytes <= 0 {
		t.Errorf("%s /app/about: variant %q container %v rootfs_files %d rootfs_bytes %d; want variant %s, in a container, a walked rootfs",
			variant, a.Variant, a.Container, a.RootfsFiles, a.RootfsBytes, variant)
	}
	t.Logf("%s /app/about: %s", variant, bytes.TrimSpace(body))
	return a
}

// dockerAdded is what Docker itself puts into every container's filesystem
// (mount points and the files it bind-mounts), all empty in the export.
var dockerAdded = map[string]byte{
	".dockerenv":      tar.TypeReg,
	"dev/":            tar.TypeDir,
	"dev/console":     tar.TypeReg,
	"dev/pts/":        tar.TypeDir,
	"dev/shm/":        tar.TypeDir,
	"etc/":            tar.TypeDir,
	"etc/hostname":    tar.TypeReg,
	"etc/hosts":       tar.TypeReg,
	"etc/mtab":        tar.TypeSymlink,
	"etc/resolv.conf": tar.TypeReg,
	"proc/":           tar.TypeDir,
	"sys/":            tar.TypeDir,
}

// exportedFiles lists a container's filesystem (docker export) and returns
// the binary's size; it fails on anything but the binary and Docker's own entries.
func (d *docker) exportOnlyBinary(id string) int64 {
	d.t.Helper()
	cmd := exec.Command(d.bin, "export", id)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		d.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		d.t.Fatal(err)
	}
	var names []string
	var binary int64 = -1
	tr := tar.NewReader(out)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			d.t.Fatalf("docker export: %v", err)
		}
		names = append(names, h.Name)
		switch want, ok := dockerAdded[h.Name]; {
		case h.Name == "multistage":
			if h.Typeflag != tar.TypeReg || h.Mode&0o111 == 0 {
				d.t.Errorf("/multistage is not an executable regular file (type %c mode %o)", h.Typeflag, h.Mode)
			}
			binary = h.Size
		case !ok:
			d.t.Errorf("unexpected entry in the multistage image: %s (type %c, %d bytes)", h.Name, h.Typeflag, h.Size)
		case h.Typeflag != want || h.Size != 0:
			d.t.Errorf("Docker's entry %s: type %c, %d bytes; want type %c, empty", h.Name, h.Typeflag, h.Size, want)
		case h.Name == "etc/mtab" && h.Linkname != "/proc/mounts":
			d.t.Errorf("etc/mtab -> %s", h.Linkname)
		}
	}
	io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		d.t.Fatalf("docker export: %v: %s", err, stderr.String())
	}
	sort.Strings(names)
	d.t.Logf("multistage container filesystem: %s", strings.Join(names, " "))
	if binary < 0 {
		d.t.Fatal("no /multistage in the exported filesystem")
	}
	if len(names) != len(dockerAdded)+1 {
		d.t.Errorf("%d entries, want the binary plus Docker's %d", len(names), len(dockerAdded))
	}
	return binary
}

func round2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }

// staleAfter: a run's containers and images still there this long after it
// started were left by a run killed before its clean-up (a test binary
// stopped by a signal never runs t.Cleanup). No run takes this long, so a
// concurrent run's are never touched.
const staleAfter = time.Hour

// sweepStale removes the containers, then the images, of runs that started
// before cutoff. A run's label value is its start time (UnixNano, base 36).
func sweepStale(d *docker, cutoff time.Time) {
	stale := func(run string) bool {
		n, err := strconv.ParseInt(run, 36, 64)
		return err == nil && time.Unix(0, n).Before(cutoff)
	}
	for _, kind := range []struct{ list, inspect, rm []string }{
		{[]string{"ps", "-aq"}, []string{"container", "inspect"}, []string{"rm", "-f"}},
		{[]string{"images", "-q"}, []string{"image", "inspect"}, []string{"rmi", "-f"}},
	} {
		out, err := d.run(time.Minute, append(kind.list, "--filter", "label="+labelKey)...)
		if err != nil || out == "" {
			continue
		}
		var old []string
		ids := strings.Fields(out) // an image with two tags is listed twice
		slices.Sort(ids)
		for _, id := range slices.Compact(ids) {
			run, err := d.run(time.Minute, append(kind.inspect, "--format", `{{index .Config.Labels "`+labelKey+`"}}`, id)...)
			if err == nil && stale(strings.TrimSpace(run)) {
				old = append(old, id)
			}
		}
		if len(old) > 0 {
			d.t.Logf("removing %s left by earlier runs: %s", kind.rm[0], strings.Join(old, " "))
			d.run(2*time.Minute, append(kind.rm, old...)...)
		}
	}
}

func TestDockerImages(t *testing.T) {
	d := requireDocker(t)
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"Dockerfile", "Dockerfile.normal", "go.mod"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Fatalf("build context %s: %v", root, err)
		}
	}

	// Build from a snapshot, so edits made while the test runs cannot change
	// the context between the cold and the warm build.
	root = snapshot(t, root)

	sweepStale(d, time.Now().Add(-staleAfter))
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	label := labelKey + "=" + run
	tags := map[string]string{
		"multistage": "multistage-e2e:" + run + "-multistage",
		"normal":     "multistage-e2e:" + run + "-normal",
	}
	var leftovers []string // untagged build-stage images
	t.Cleanup(func() {
		// Containers first (they hold the images), then the images.
		if ids, _ := d.run(time.Minute, "ps", "-aq", "--filter", "label="+label); ids != "" {
			d.run(2*time.Minute, append([]string{"rm", "-f"}, strings.Fields(ids)...)...)
		}
		d.run(2*time.Minute, "rmi", tags["multistage"], tags["normal"])
		for _, id := range leftovers {
			d.run(2*time.Minute, "rmi", id) // fails harmlessly if something else uses it
		}
		if ids, _ := d.run(time.Minute, "images", "-q", "--filter", "label="+label); ids != "" {
			d.run(2*time.Minute, append([]string{"rmi", "-f"}, strings.Fields(ids)...)...)
		}
	})

	fig := Figures{MeasuredAt: time.Now().UTC().Format(time.RFC3339), LoadBefore: loadavg()}
	fig.DockerVersion = d.must(time.Minute, "version", "--format", "{{.Server.Version}}")
	base := d.imageInfo(baseImage)
	fig.BaseImageID, fig.BaseStandin = base.ID, base.Config.Labels["org.multistage.standin"] == "true"

	// Builds: cold (no cache, the base image present), then warm (all cached).
	var log string
	fig.MultistageBuildCold, log = d.build(root, "Dockerfile", tags["multistage"], label, true)
	leftovers = append(leftovers, sizes.StageImages(log)...)
	fig.MultistageBuildWarm, log = d.build(root, "Dockerfile", tags["multistage"], label, false)
	leftovers = append(leftovers, sizes.StageImages(log)...)
	if !strings.Contains(log, "Using cache") {
		t.Errorf("warm multistage build used no cache")
	}
	fig.NormalBuildCold, _ = d.build(root, "Dockerfile.normal", tags["normal"], label, true)
	fig.NormalBuildWarm, _ = d.build(root, "Dockerfile.normal", tags["normal"], label, false)

	multi, normal := d.imageInfo(tags["multistage"]), d.imageInfo(tags["normal"])
	fig.MultistageBytes, fig.NormalBytes = multi.Size, normal.Size
	if multi.Config.User != "65532:65532" {
		t.Errorf("multistage image USER %q, want 65532:65532", multi.Config.User)
	}

	// The multistage image, locked down.
	m := d.start(tags["multistage"], label,
		"--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
		"--user", "65532:65532", "--health-interval", "1s")
	fig.RunToFirst200Ms = m.first200Ms
	healthy := d.waitHealthy(m.id, 20*time.Second)
	t.Logf("multistage: first 200 after %.0f ms, healthy %.1f s later", m.first200Ms, healthy.Seconds())
	ma := checkPages(t, m.base, "multistage")
	fig.MultistageStopSecs = d.stop(m.id, "multistage")
	fig.BinaryBytes = d.exportOnlyBinary(m.id)

	if ma.BinaryBytes != 0 && ma.BinaryBytes != fig.BinaryBytes {
		t.Errorf("/app/about binary_bytes %d, exported binary %d", ma.BinaryBytes, fig.BinaryBytes)
	}
	if ma.RootfsBytes < fig.BinaryBytes || ma.RootfsBytes > fig.BinaryBytes+64<<10 {
		t.Errorf("multistage rootfs_bytes %d, want the binary's %d plus at most Docker's few small files", ma.RootfsBytes, fig.BinaryBytes)
	}

	// The normal image, as a user would run it.
	n := d.start(tags["normal"], label)
	fig.NormalRunToFirst200 = n.first200Ms
	na := checkPages(t, n.base, "normal")
	fig.NormalStopSecs = d.stop(n.id, "normal")
	if dev := float64(na.RootfsBytes-fig.NormalBytes) / float64(fig.NormalBytes); na.RootfsTruncated {
		t.Logf("normal rootfs walk was cut short by its limits: %d bytes counted of the image's %d", na.RootfsBytes, fig.NormalBytes)
	} else if dev < -0.05 || dev > 0.05 {
		t.Errorf("normal rootfs_bytes %d differs from the image's %d bytes by %.1f%%", na.RootfsBytes, fig.NormalBytes, dev*100)
	}

	for _, x := range []*float64{&fig.MultistageBuildCold, &fig.MultistageBuildWarm, &fig.NormalBuildCold, &fig.NormalBuildWarm,
		&fig.MultistageStopSecs, &fig.NormalStopSecs, &fig.RunToFirst200Ms, &fig.NormalRunToFirst200} {
		*x = round2(*x)
	}
	fig.MultistageOverBinary = round2(float64(fig.MultistageBytes) / float64(fig.BinaryBytes))
	fig.NormalOverMultistage = round2(float64(fig.NormalBytes) / float64(fig.MultistageBytes))
	if float64(fig.MultistageBytes) > 1.02*float64(fig.BinaryBytes) {
		t.Errorf("multistage image %d bytes > 1.02 x binary %d", fig.MultistageBytes, fig.BinaryBytes)
	}
	if fig.NormalOverMultistage < 50 {
		t.Errorf("normal/multistage = %.2f, want >= 50", fig.NormalOverMultistage)
	}

	fig.LoadAfter = loadavg()
	t.Logf("docker %s, base %s (stand-in %v); load average %s before, %s after",
		fig.DockerVersion, fig.BaseImageID, fig.BaseStandin, fig.LoadBefore, fig.LoadAfter)
	t.Logf("multistage image %d bytes (%.2f x the %d-byte binary); normal image %d bytes (%.1f x multistage)",
		fig.MultistageBytes, fig.MultistageOverBinary, fig.BinaryBytes, fig.NormalBytes, fig.NormalOverMultistage)
	t.Logf("docker run to first 200: multistage %.0f ms, normal %.0f ms; docker stop: %.2f s, %.2f s",
		fig.RunToFirst200Ms, fig.NormalRunToFirst200, fig.MultistageStopSecs, fig.NormalStopSecs)
	t.Logf("builds: multistage cold %.1f s warm %.1f s; normal cold %.1f s warm %.1f s",
		fig.MultistageBuildCold, fig.MultistageBuildWarm, fig.NormalBuildCold, fig.NormalBuildWarm)
	if path := os.Getenv("MULTISTAGE_FIGURES"); path != "" {
		b, _ := json.MarshalIndent(fig, "", "  ")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Errorf("MULTISTAGE_FIGURES: %v", err)
		}
	}
}

func TestStageImages(t *testing.T) {
	log := "Step 1/9 : FROM golang:1.26 AS build\n ---> 6a12f7f71f52\nStep 2/9 : WORKDIR /src\n ---> Running in 0123456789ab\n" +
		"Removing intermediate container 0123456789ab\n ---> aaaaaaaaaaaa\nStep 3/9 : FROM scratch\n ---> \nStep 4/9 : COPY --from=build /out/multistage /multistage\n ---> bbbbbbbbbbbb\n" +
		"Successfully built bbbbbbbbbbbb\n"
	if got := fmt.Sprint(sizes.StageImages(log)); got != "[aaaaaaaaaaaa]" {
		t.Errorf("stageImages = %s", got)
	}
	if got := sizes.StageImages("Step 1/2 : FROM golang:1.26\n ---> 6a12f7f71f52\n"); len(got) != 0 {
		t.Errorf("single stage: %v", got)
	}
}

// TestSweepStale: images labelled by a run older than the cutoff go, a
// recent run's stay.
func TestSweepStale(t *testing.T) {
	d := requireDocker(t)
	ctx := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(ctx, "f"), []byte("x"), 0o644))
	must(os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte("FROM scratch\nCOPY f /f\n"), 0o644))
	now := time.Now()
	ids := map[string]string{}
	for name, at := range map[string]time.Time{"old": now.Add(-2 * staleAfter), "new": now} {
		run := strconv.FormatInt(at.UnixNano(), 36)
		tag := "multistage-e2e:sweep-" + name + "-" + run
		d.must(2*time.Minute, "build", "-q", "-t", tag, "--label", labelKey+"="+run, ctx)
		ids[name] = d.must(time.Minute, "image", "inspect", "--format", "{{.Id}}", tag)
		t.Cleanup(func() { d.run(time.Minute, "rmi", "-f", tag) })
	}
	if ids["old"] == ids["new"] {
		t.Fatal("the two images are one: labels did not make them differ")
	}
	sweepStale(d, now.Add(-staleAfter))
	if _, err := d.run(time.Minute, "image", "inspect", ids["old"]); err == nil {
		t.Error("the old run's image is still there")
	}
	if _, err := d.run(time.Minute, "image", "inspect", ids["new"]); err != nil {
		t.Errorf("the recent run's image is gone: %v", err)
	}
}
