package sizes

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"multistage/internal/atomicfile"
)

// Options configures Run.
type Options struct {
	Dir    string           // build context, the repo root (default ".")
	Out    string           // report file (default Dir/content/sizes.json)
	Docker string           // docker CLI (default "docker")
	Stderr io.Writer        // progress and build-log tails (default io.Discard)
	Now    func() time.Time // clock for measured_at (default time.Now)
}

// BaseImage is the image both Dockerfiles build FROM.
const BaseImage = "golang:1.26"

// Labels put on everything Run creates, so it can be found and removed.
const (
	LabelKey        = "org.multistage.sizes"
	StandinLabel    = "org.multistage.standin"
	StandinFromNote = "org.multistage.standin.from"
)

// logTail is how many lines of a failed build's log are shown.
const logTail = 15

// targets are the two images, in report order.
var targets = []struct{ name, dockerfile string }{
	{NameMultistage, "Dockerfile"},
	{NameNormal, "Dockerfile.normal"},
}

// Tag returns the tag Run builds for an image name.
func Tag(name string) string { return "multistage:sizes-" + name }

// BuildError is a failed docker build; Log holds the last lines of its output.
type BuildError struct {
	Dockerfile string
	Err        error
	Log        []string
	Hint       string
}

func (e *BuildError) Error() string {
	last := ""
	for i := len(e.Log) - 1; i >= 0; i-- {
		if s := strings.TrimSpace(e.Log[i]); s != "" {
			last = ": " + s
			break
		}
	}
	msg := fmt.Sprintf("sizes: docker build -f %s failed (%v)%s", e.Dockerfile, e.Err, last)
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

func (e *BuildError) Unwrap() error { return e.Err }

// Run builds both Dockerfiles in opt.Dir with the local daemon, measures the
// images and writes the report to opt.Out.
func Run(ctx context.Context, opt Options) error {
	if opt.Dir == "" {
		opt.Dir = "."
	}
	if opt.Out == "" {
		opt.Out = filepath.Join(opt.Dir, "content", "sizes.json")
	}
	if opt.Docker == "" {
		opt.Docker = "docker"
	}
	if opt.Stderr == nil {
		opt.Stderr = io.Discard
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	for _, t := range targets {
		if _, err := os.Stat(filepath.Join(opt.Dir, t.dockerfile)); err != nil {
			return fmt.Errorf("sizes: %s: no %s in the build context", filepath.Join(opt.Dir, t.dockerfile), t.dockerfile)
		}
	}
	d, err := newDocker(opt.Docker)
	if err != nil {
		return err
	}
	// Build from a snapshot of the tree, so edits made meanwhile cannot change
	// the context between builds (and the warm build measures a warm build).
	snap, err := os.MkdirTemp("", "multistage-sizes-")
	if err != nil {
		return fmt.Errorf("sizes: %v", err)
	}
	defer os.RemoveAll(snap)
	if err := copyTree(opt.Dir, snap); err != nil {
		return fmt.Errorf("sizes: snapshot of %s: %v", opt.Dir, err)
	}
	r, err := measure(ctx, d, opt, snap)
	if err != nil {
		return err
	}
	b, err := r.Marshal()
	if err != nil {
		return fmt.Errorf("sizes: %v", err)
	}
	if err := writeFile(opt.Out, b); err != nil {
		return fmt.Errorf("sizes: %v", err)
	}
	fmt.Fprintf(opt.Stderr, "sizes: wrote %s: multistage %s, normal %s (%.1fx), binary %s\n",
		opt.Out, mb(r.Images[0].Bytes), mb(r.Images[1].Bytes), r.Ratio, mb(r.BinaryBytes))
	return nil
}

func measure(ctx context.Context, d *docker, opt Options, dir string) (*Report, error) {
	ver, err := d.out(ctx, "version", "--format", "{{.Server.Version}}")
	if err != nil {
		return nil, fmt.Errorf("sizes: the Docker daemon does not answer (%v)", err)
	}
	r := &Report{DockerVersion: ver, Host: Host{CPUs: runtime.NumCPU(), LoadAvg: loadavg()}}

	// The base image: present locally (real or stand-in), or pulled by the build.
	haveBase := d.run(ctx, nil, io.Discard, "image", "inspect", BaseImage) == nil
	if !haveBase {
		fmt.Fprintf(opt.Stderr, "sizes: %s is not a local image; docker build will try to pull it\n", BaseImage)
	}

	// Builds of multistage Dockerfiles leave each earlier stage's last image
	// behind untagged; remove the ones these builds made (not forced, so an
	// image something else uses stays).
	var leftovers []string
	defer func() {
		for _, id := range leftovers {
			d.run(context.WithoutCancel(ctx), nil, io.Discard, "rmi", id)
		}
	}()

	for _, t := range targets {
		im := Image{Name: t.name, Dockerfile: t.dockerfile, Tag: Tag(t.name)}
		// The image an earlier run left under this tag is dropped once replaced.
		if prev, err := d.out(ctx, "image", "inspect", "--format", "{{.Id}}", im.Tag); err == nil && prev != "" {
			defer func() {
				if im.ID != "" && prev != im.ID { // only once the tag has moved
					d.run(context.WithoutCancel(ctx), nil, io.Discard, "rmi", prev)
				}
			}()
		}
		for _, cold := range []bool{true, false} {
			kind := "warm"
			if cold {
				kind = "cold"
			}
			fmt.Fprintf(opt.Stderr, "sizes: building %s (%s) ...", t.dockerfile, kind)
			secs, log, err := d.build(ctx, dir, t.dockerfile, im.Tag, cold)
			if cold {
				leftovers = append(leftovers, StageImages(log)...)
			}
			if err != nil {
				fmt.Fprintln(opt.Stderr, " failed")
				var be *BuildError
				if errors.As(err, &be) {
					if !haveBase {
						be.Hint = "no local " + BaseImage + ": run deploy/golang-standin.sh"
					}
					for _, l := range be.Log {
						fmt.Fprintln(opt.Stderr, "  "+l)
					}
				}
				return nil, err
			}
			fmt.Fprintf(opt.Stderr, " %.1fs\n", secs)
			if cold {
				im.BuildSecondsCold = secs
			} else {
				im.BuildSecondsWarm = secs
			}
		}
		if err := d.inspectImage(ctx, &im); err != nil {
			return nil, err
		}
		r.Images = append(r.Images, im)
	}

	if err := d.inspectBuilder(ctx, &r.Builder); err != nil {
		return nil, err
	}
	// Mark the normal image's layers that come from the base image.
	if baseHist, err := d.history(ctx, BaseImage); err == nil {
		markBase(r.Images[1].Layers, baseHist)
	} else {
		return nil, err
	}

	r.BinaryBytes, err = d.fileSize(ctx, r.Images[0].Tag, "/multistage")
	if err != nil {
		return nil, err
	}
	r.Ratio = ratio(r.Images[1].Bytes, r.Images[0].Bytes)
	r.MeasuredAt = opt.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("sizes: inconsistent measurement: %v", err)
	}
	return r, nil
}

// markBase flags the oldest layers of img that are the base image's history.
func markBase(img, base []Layer) {
	if len(base) > len(img) {
		return
	}
	for i := range base {
		if img[i].CreatedBy != base[i].CreatedBy || img[i].Bytes != base[i].Bytes {
			return
		}
	}
	for i := range base {
		img[i].Base = true
	}
}

// docker runs the docker CLI.
type docker struct{ bin string }

func newDocker(bin string) (*docker, error) {
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("sizes: docker CLI %q not found (install Docker, or set the docker command)", bin)
	}
	return &docker{bin: path}, nil
}

// run runs docker with args, stdout to w; on failure the error carries the
// last line of stderr.
func (d *docker) run(ctx context.Context, stdin io.Reader, w io.Writer, args ...string) error {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, d.bin, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, w, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if msg := lastLine(stderr.String()); msg != "" {
			return fmt.Errorf("docker %s: %s", args[0], msg)
		}
		return fmt.Errorf("docker %s: %v", args[0], err)
	}
	return nil
}

// out runs docker and returns its trimmed stdout.
func (d *docker) out(ctx context.Context, args ...string) (string, error) {
	var buf bytes.Buffer
	if err := d.run(ctx, nil, &buf, args...); err != nil {
		return "", err
	}
	return strings.TrimSpace(buf.String()), nil
}

// build runs one docker build and returns its wall time in seconds and its log.
func (d *docker) build(ctx context.Context, dir, dockerfile, tag string, cold bool) (float64, string, error) {
	args := []string{"build", "-f", filepath.Join(dir, dockerfile), "-t", tag,
		"--label", LabelKey + "=true", "--force-rm"}
	if cold {
		args = append(args, "--no-cache")
	}
	args = append(args, dir)
	var log bytes.Buffer
	cmd := exec.CommandContext(ctx, d.bin, args...)
	cmd.Stdout, cmd.Stderr = &log, &log
	start := time.Now()
	err := cmd.Run()
	secs := time.Since(start).Seconds()
	if err != nil {
		if ctx.Err() != nil {
			return 0, "", ctx.Err()
		}
		return 0, "", &BuildError{Dockerfile: dockerfile, Err: err, Log: tail(log.String(), logTail)}
	}
	return float64(int64(secs*10+0.5)) / 10, log.String(), nil
}

var (
	stepFrom = regexp.MustCompile(`(?i)^Step \d+/\d+ : FROM `)
	stepID   = regexp.MustCompile(`^ ---> ([0-9a-f]{12,})$`)
)

// StageImages returns, from a legacy-builder log, the last image ID of every
// stage but the final one: the builder leaves these behind untagged, so
// whoever built the image removes them (multistage sizes, the e2e test).
func StageImages(log string) []string {
	var ids []string
	last := ""
	for _, l := range strings.Split(log, "\n") {
		l = strings.TrimRight(l, "\r")
		if stepFrom.MatchString(l) && last != "" {
			ids = append(ids, last)
			last = ""
		}
		if m := stepID.FindStringSubmatch(l); m != nil {
			last = m[1]
		}
	}
	return ids
}

// imageInfo is the part of docker image inspect Run reads.
type imageInfo struct {
	ID     string `json:"Id"`
	Size   int64  `json:"Size"`
	Config struct {
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
	RootFS struct {
		Layers []string `json:"Layers"`
	} `json:"RootFS"`
}

func (d *docker) inspect(ctx context.Context, ref string) (*imageInfo, error) {
	s, err := d.out(ctx, "image", "inspect", "--format", "{{json .}}", ref)
	if err != nil {
		return nil, fmt.Errorf("sizes: %v", err)
	}
	var info imageInfo
	if err := json.Unmarshal([]byte(s), &info); err != nil {
		return nil, fmt.Errorf("sizes: docker image inspect %s: unexpected output: %v", ref, err)
	}
	if info.ID == "" {
		return nil, fmt.Errorf("sizes: docker image inspect %s: no image ID", ref)
	}
	return &info, nil
}

func (d *docker) inspectImage(ctx context.Context, im *Image) error {
	info, err := d.inspect(ctx, im.Tag)
	if err != nil {
		return err
	}
	im.ID, im.Bytes, im.LayerCount = info.ID, info.Size, len(info.RootFS.Layers)
	layers, err := d.history(ctx, im.Tag)
	// Leave out the label Run adds (a metadata step no user build has).
	for _, l := range layers {
		if l.Bytes == 0 && strings.HasSuffix(l.CreatedBy, "LABEL "+LabelKey+"=true") {
			continue
		}
		im.Layers = append(im.Layers, l)
	}
	return err
}

func (d *docker) inspectBuilder(ctx context.Context, b *Builder) error {
	info, err := d.inspect(ctx, BaseImage)
	if err != nil {
		return err
	}
	b.Image, b.ID, b.Bytes = BaseImage, info.ID, info.Size
	b.Standin = info.Config.Labels[StandinLabel] == "true"
	if b.Standin {
		b.StandinNote = "local stand-in built by deploy/golang-standin.sh"
		if from := info.Config.Labels[StandinFromNote]; from != "" {
			b.StandinNote += ": " + from
		}
	}
	return nil
}

// history returns an image's history, oldest first.
func (d *docker) history(ctx context.Context, ref string) ([]Layer, error) {
	s, err := d.out(ctx, "history", "--no-trunc", "--human=false", "--format", "{{.Size}}\t{{json .CreatedBy}}", ref)
	if err != nil {
		return nil, fmt.Errorf("sizes: %v", err)
	}
	layers, err := parseHistory(s)
	if err != nil {
		return nil, fmt.Errorf("sizes: docker history %s: %v", ref, err)
	}
	return layers, nil
}

// parseHistory reads lines of "SIZE\tJSON-STRING" (newest first, as docker
// history prints them) and returns the layers oldest first.
func parseHistory(s string) ([]Layer, error) {
	var layers []Layer
	for i, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		size, created, ok := strings.Cut(line, "\t")
		if !ok {
			return nil, fmt.Errorf("line %d: no tab in %q", i+1, line)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(size), 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("line %d: size %q is not a byte count", i+1, size)
		}
		var by string
		if err := json.Unmarshal([]byte(created), &by); err != nil {
			return nil, fmt.Errorf("line %d: created_by %q is not a JSON string", i+1, created)
		}
		layers = append(layers, Layer{CreatedBy: strings.TrimSpace(by), Bytes: n})
	}
	if len(layers) == 0 {
		return nil, errors.New("no history")
	}
	for i, j := 0, len(layers)-1; i < j; i, j = i+1, j-1 {
		layers[i], layers[j] = layers[j], layers[i]
	}
	return layers, nil
}

// fileSize returns the size of path inside image, read from the tar stream
// of docker cp on a created (never started) container.
func (d *docker) fileSize(ctx context.Context, image, path string) (int64, error) {
	id, err := d.out(ctx, "create", "--label", LabelKey+"=true", image)
	if err != nil {
		return 0, fmt.Errorf("sizes: %v", err)
	}
	defer d.run(context.WithoutCancel(ctx), nil, io.Discard, "rm", "-f", id)
	var buf bytes.Buffer
	if err := d.run(ctx, nil, &buf, "cp", id+":"+path, "-"); err != nil {
		return 0, fmt.Errorf("sizes: %v", err)
	}
	n, err := tarFileSize(&buf)
	if err != nil {
		return 0, fmt.Errorf("sizes: docker cp %s:%s: %v", image, path, err)
	}
	return n, nil
}

// tarFileSize returns the size of the first regular file in a tar stream.
func tarFileSize(r io.Reader) (int64, error) {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return 0, errors.New("no regular file in the archive")
		}
		if err != nil {
			return 0, err
		}
		if h.Typeflag == tar.TypeReg {
			return h.Size, nil
		}
	}
}

// copyTree copies the regular files and folders under src to dst, leaving out
// .git and node_modules (docker applies .dockerignore to the copy as usual).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		switch {
		case d.IsDir() && rel != "." && (d.Name() == ".git" || d.Name() == "node_modules"):
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		case !d.Type().IsRegular():
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(filepath.Join(dst, rel), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm())
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// loadavg returns the 1, 5 and 15 minute load averages ("" where unknown).
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return ""
}

// writeFile replaces path atomically (see internal/atomicfile).
func writeFile(path string, data []byte) error {
	return atomicfile.Write(path, data, ".sizes-*.json")
}

// tail returns the last n non-empty lines of s.
func tail(s string, n int) []string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimRight(l, "\r "); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

func lastLine(s string) string {
	if t := tail(s, 1); len(t) == 1 {
		return strings.TrimSpace(t[0])
	}
	return ""
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
