// Command multistage is the tutorial "Multistage Docker Build with a Go Web
// Application", the tool that publishes it, and the image it teaches, in one
// binary.
//
//	multistage [serve] [-addr ADDR] [-src DIR]   serve the tutorial and the demo app (default :5000)
//	multistage dev [-addr ADDR] [-src DIR]       live-reload authoring mode (default 127.0.0.1:5000, src .)
//	multistage build [-src DIR] [-o DIR] [-base PATH]   export the static site (default public/)
//	multistage sizes [-o FILE]                   measure both images with Docker (content/sizes.json)
//	multistage healthcheck [-addr ADDR]          exit 0 when the server answers /healthz
//	multistage version                           version, VCS revision, Go version
//
// Exit status: 0 success, 1 failure, 2 bad usage.
package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
)

// The default sources: the tutorial, its screenshots, and the real files it
// shows. They live at the root because embed cannot reach "..".
//
//go:embed content screenshots Dockerfile Dockerfile.normal app/app.go
var sources embed.FS

// Set at build time with -ldflags "-X main.version=... -X main.revision=...";
// otherwise read from the build info.
var version, revision string

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, a second one exits at once: stop() restores
	// the default behaviour as soon as ctx is done.
	go func() { <-ctx.Done(); stop() }()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	os.Exit(exitCode(err, os.Stderr))
}

// usageError is a command line problem (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// silentError has already been reported (exit status 1, nothing more said).
var errSilent = errors.New("failed")

func exitCode(err error, stderr io.Writer) int {
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "multistage: %s\nRun 'multistage help' for usage.\n", ue.msg)
		return 2
	case errors.Is(err, errSilent):
		return 1
	default:
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "multistage: %s\n", line)
		}
		return 1
	}
}

const usage = `multistage: the multistage Docker build tutorial, its publisher, and the image it teaches.

Usage:
  multistage [serve] [-addr ADDR] [-src DIR]         serve the tutorial and the demo app
  multistage dev [-addr ADDR] [-src DIR] [-poll D]   live-reload authoring mode
  multistage build [-src DIR] [-o DIR] [-base PATH|URL] [-force]  export the static site
  multistage sizes [-o FILE]                         measure both images with Docker
  multistage healthcheck [-addr ADDR]                exit 0 when the server answers /healthz
  multistage version                                 print version information

Run 'multistage COMMAND -h' for a command's flags.
`

// run is the whole program, minus process exit: tests drive it directly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, args, stderr)
	case "dev":
		return runDev(ctx, args, stderr)
	case "build":
		return runBuild(ctx, args, stdout, stderr)
	case "sizes":
		return runSizes(ctx, args, stderr)
	case "healthcheck":
		return runHealthcheck(ctx, args, stderr)
	case "version":
		if len(args) > 0 {
			return &usageError{"version takes no arguments"}
		}
		fmt.Fprintln(stdout, versionString())
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return &usageError{fmt.Sprintf("unknown command %q", cmd)}
}

// newFlags makes a FlagSet whose errors come back as usage errors.
//
// The flag package's own error printing is silenced: a bad flag is reported
// once, by exitCode, as a usage error. -h prints the flags to stderr.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fset := flag.NewFlagSet(name, flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	fset.Usage = func() {
		fmt.Fprintf(stderr, "Usage of multistage %s:\n", name)
		fset.SetOutput(stderr)
		fset.PrintDefaults()
		fset.SetOutput(io.Discard)
	}
	return fset
}

func parse(fset *flag.FlagSet, args []string) error {
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err // Parse has printed the usage
		}
		return &usageError{fmt.Sprintf("%s: %v", fset.Name(), err)}
	}
	if fset.NArg() > 0 {
		return &usageError{fmt.Sprintf("%s: unexpected argument %q", fset.Name(), fset.Arg(0))}
	}
	return nil
}

// checkAddr rejects a listen address that cannot work before anything is
// built, as a usage error naming where it came from.
func checkAddr(addr, from string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return &usageError{fmt.Sprintf("%s %q is not host:port: %v", from, addr, err)}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return &usageError{fmt.Sprintf("%s %q: port must be a number from 0 to 65535", from, addr)}
	}
	return nil
}

// sourceFS returns the embedded sources, or the folder dir.
func sourceFS(dir string) (fs.FS, error) {
	if dir == "" {
		return sources, nil
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("-src %s: %w", dir, errors.Unwrap(err))
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("-src %s: not a folder", dir)
	}
	return newDirFS(dir), nil
}

// versionString is the one line `multistage version` prints.
func versionString() string {
	v, rev := buildVersion()
	return fmt.Sprintf("multistage %s (revision %s, %s %s/%s)", v, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// buildVersion returns the version and VCS revision: the ldflags values when
// set, otherwise what the Go toolchain stamped into the binary.
func buildVersion() (string, string) {
	v, rev := version, revision
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if rev == "" {
					rev = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if modified && rev != "" && rev == revisionFromBuildInfo(bi) {
			rev += "+dirty"
		}
	}
	if v == "" {
		v = "dev"
	}
	if rev == "" {
		rev = "unknown"
	}
	return v, rev
}

func revisionFromBuildInfo(bi *debug.BuildInfo) string {
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			return s.Value
		}
	}
	return ""
}
