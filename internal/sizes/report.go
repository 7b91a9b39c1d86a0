// Package sizes measures the project's two Docker images (the multistage one and
// the single-stage "normal" one) with the local Docker daemon and records the
// figures, with their provenance, in a JSON report (content/sizes.json).
package sizes

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Report is the schema of content/sizes.json. Field order is fixed by the
// struct, so the file is deterministic for the same measurements.
type Report struct {
	// MeasuredAt is when the measurement finished, UTC, RFC 3339 to the second.
	MeasuredAt string `json:"measured_at"`
	// DockerVersion is the daemon's version (docker version .Server.Version).
	DockerVersion string `json:"docker_version"`
	// Builder describes the golang:1.26 image both Dockerfiles start from.
	Builder Builder `json:"builder"`
	// Images holds the multistage image first, then the normal one.
	Images []Image `json:"images"`
	// BinaryBytes is the size of the server binary in the multistage image.
	BinaryBytes int64 `json:"binary_bytes"`
	// Ratio is normal bytes / multistage bytes, rounded to two decimals.
	Ratio float64 `json:"ratio"`
	// Host is the machine the builds ran on (build times depend on it).
	Host Host `json:"host"`
}

// Host describes the measuring machine.
type Host struct {
	CPUs int `json:"cpus"`
	// LoadAvg is /proc/loadavg's 1, 5 and 15 minute figures before the builds.
	LoadAvg string `json:"loadavg,omitempty"`
}

// Builder is the base image of the build stage.
type Builder struct {
	Image string `json:"image"` // "golang:1.26"
	ID    string `json:"id"`    // image ID (sha256:...)
	Bytes int64  `json:"bytes"` // docker image inspect .Size
	// Standin is true when the image is a local stand-in built by
	// deploy/golang-standin.sh (label org.multistage.standin=true), not the
	// official image; StandinNote then says what it was built from.
	Standin     bool   `json:"standin"`
	StandinNote string `json:"standin_note,omitempty"`
}

// Image is one built image.
type Image struct {
	Name       string `json:"name"`       // "multistage" or "normal"
	Dockerfile string `json:"dockerfile"` // "Dockerfile" or "Dockerfile.normal"
	Tag        string `json:"tag"`        // the tag built, e.g. multistage:sizes-multistage
	ID         string `json:"id"`         // image ID
	Bytes      int64  `json:"bytes"`      // docker image inspect .Size
	// LayerCount is the number of filesystem layers (.RootFS.Layers).
	LayerCount int `json:"layer_count"`
	// Layers is the image's history, oldest first, metadata-only steps included.
	Layers []Layer `json:"layers"`
	// BuildSecondsCold is a build with --no-cache (the base image present);
	// BuildSecondsWarm the rebuild right after it, every step cached.
	BuildSecondsCold float64 `json:"build_seconds_cold"`
	BuildSecondsWarm float64 `json:"build_seconds_warm"`
}

// Layer is one history entry of an image.
type Layer struct {
	CreatedBy string `json:"created_by"` // the instruction, as docker history reports it
	Bytes     int64  `json:"bytes"`      // bytes it adds (0 for metadata-only steps)
	Base      bool   `json:"base,omitempty"`
}

// Names of the two images, in report order.
const (
	NameMultistage = "multistage"
	NameNormal     = "normal"
)

// Image returns the image with the given name, or nil.
func (r *Report) Image(name string) *Image {
	for i := range r.Images {
		if r.Images[i].Name == name {
			return &r.Images[i]
		}
	}
	return nil
}

// Marshal encodes the report deterministically: fixed field order, two-space
// indent, no HTML escaping, trailing newline.
func (r *Report) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Load decodes and validates a report (the contents of content/sizes.json).
func Load(b []byte) (*Report, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var r Report
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("sizes.json: %w", err)
	}
	if dec.More() {
		return nil, errors.New("sizes.json: trailing data after the report")
	}
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("sizes.json: %w", err)
	}
	return &r, nil
}

// Validate checks that the report is complete and consistent.
func (r *Report) Validate() error {
	if r.MeasuredAt == "" {
		return errors.New("measured_at is missing")
	}
	t, err := time.Parse(time.RFC3339, r.MeasuredAt)
	if err != nil {
		return fmt.Errorf("measured_at %q is not RFC 3339", r.MeasuredAt)
	}
	if _, off := t.Zone(); off != 0 {
		return fmt.Errorf("measured_at %q is not UTC", r.MeasuredAt)
	}
	if r.DockerVersion == "" {
		return errors.New("docker_version is missing")
	}
	if r.Builder.Image == "" || r.Builder.ID == "" {
		return errors.New("builder.image and builder.id are required")
	}
	if r.Builder.Standin && r.Builder.StandinNote == "" {
		return errors.New("builder.standin_note is required when builder.standin is true")
	}
	if len(r.Images) != 2 || r.Images[0].Name != NameMultistage || r.Images[1].Name != NameNormal {
		return fmt.Errorf("images must be [%s, %s]", NameMultistage, NameNormal)
	}
	for i, im := range r.Images {
		switch {
		case im.Dockerfile == "" || im.Tag == "" || im.ID == "":
			return fmt.Errorf("images[%d] (%s): dockerfile, tag and id are required", i, im.Name)
		case im.Bytes <= 0:
			return fmt.Errorf("images[%d] (%s): bytes must be positive", i, im.Name)
		case len(im.Layers) == 0 || im.LayerCount <= 0:
			return fmt.Errorf("images[%d] (%s): no layers", i, im.Name)
		case im.BuildSecondsCold < 0 || im.BuildSecondsWarm < 0:
			return fmt.Errorf("images[%d] (%s): negative build time", i, im.Name)
		}
		var sum int64
		for _, l := range im.Layers {
			if l.Bytes < 0 {
				return fmt.Errorf("images[%d] (%s): negative layer size", i, im.Name)
			}
			sum += l.Bytes
		}
		if sum != im.Bytes {
			return fmt.Errorf("images[%d] (%s): layers add up to %d bytes, not %d", i, im.Name, sum, im.Bytes)
		}
	}
	if r.Host.CPUs < 0 {
		return errors.New("host.cpus is negative")
	}
	if r.BinaryBytes <= 0 {
		return errors.New("binary_bytes must be positive")
	}
	if r.BinaryBytes > r.Images[0].Bytes {
		return fmt.Errorf("binary_bytes %d exceeds the multistage image's %d", r.BinaryBytes, r.Images[0].Bytes)
	}
	if want := ratio(r.Images[1].Bytes, r.Images[0].Bytes); r.Ratio != want {
		return fmt.Errorf("ratio is %v, but normal/multistage bytes give %v", r.Ratio, want)
	}
	return nil
}

// ratio is a/b rounded to two decimals.
func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return math.Round(float64(a)/float64(b)*100) / 100
}
