#!/usr/bin/env bash
# golang-standin.sh: make sure a local image named golang:1.26 exists.
#
# On a machine that reaches Docker Hub this is just `docker pull golang:1.26`.
# This project's machines reach no registry, so when the pull fails the script
# builds a faithful stand-in from Debian's packages and the host's Go toolchain
# and tags it golang:1.26; Docker then uses it for `FROM golang:1.26` without
# pulling. The image carries the label org.multistage.standin=true (plus what it
# was built from), so measurements made on it can say so.
#
# Usage: deploy/golang-standin.sh [-f] [--fast] [--no-pull] [--image NAME]
#   -f          rebuild even if the image already exists
#   --fast      cheap fallback: Go tree + busybox-static + CA bundle (no gcc, no git)
#   --no-pull   do not try `docker pull` first
#   --image     tag to create (default golang:1.26)
# Environment:
#   GOROOT_SRC       Go tree to copy (default /usr/local/go)
#   STANDIN_CACHE    cache dir (default /var/cache/multistage-standin)
#   STANDIN_SUITE    Debian suite (default trixie, the real golang:1.26's base)
#   STANDIN_MIRROR   Debian mirror (default: the one apt is configured with)
#   PULL_TIMEOUT     seconds allowed for the pull (default 20)
# Needs root (debootstrap, chroot), docker, debootstrap; --fast needs busybox-static.
set -euo pipefail

IMAGE=golang:1.26
FORCE=0
FAST=0
PULL=1
while [ $# -gt 0 ]; do
	case "$1" in
	-f | --force) FORCE=1 ;;
	--fast) FAST=1 ;;
	--no-pull) PULL=0 ;;
	--image) IMAGE=$2; shift ;;
	--image=*) IMAGE=${1#--image=} ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "golang-standin.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

GOROOT_SRC=${GOROOT_SRC:-/usr/local/go}
CACHE=${STANDIN_CACHE:-/var/cache/multistage-standin}
SUITE=${STANDIN_SUITE:-trixie}
PULL_TIMEOUT=${PULL_TIMEOUT:-20}
# The packages the real image has that matter to a Go build (buildpack-deps:*-scm
# plus golang's gcc, libc6-dev, make, pkg-config), minus mercurial/subversion/ssh.
PACKAGES=ca-certificates,curl,git,netbase,gcc,libc6-dev,make,pkg-config
LABEL_KEY=org.multistage.standin

START=$(date +%s.%N)
say() { printf 'golang-standin: %s\n' "$*" >&2; }
die() { printf 'golang-standin: %s\n' "$*" >&2; exit 1; }
elapsed() { awk -v s="$START" -v e="$(date +%s.%N)" 'BEGIN{printf "%.1f", e-s}'; }

command -v docker >/dev/null || die "docker not found in PATH"
docker info >/dev/null 2>&1 || die "the Docker daemon does not answer (start dockerd)"

if [ "$FORCE" = 0 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
	note=$(docker image inspect -f "{{index .Config.Labels \"$LABEL_KEY.from\"}}" "$IMAGE" 2>/dev/null || true)
	say "$IMAGE already exists${note:+ (stand-in: $note)}; nothing to do (-f rebuilds)"
	exit 0
fi

if [ "$PULL" = 1 ]; then
	say "trying docker pull $IMAGE (${PULL_TIMEOUT}s)"
	if timeout "$PULL_TIMEOUT" docker pull -q "$IMAGE" >/dev/null 2>&1; then
		say "pulled $IMAGE in $(elapsed)s"
		exit 0
	fi
	say "pull failed; building a local stand-in"
fi

[ "$(id -u)" = 0 ] || die "building the stand-in needs root (debootstrap, chroot)"
[ -x "$GOROOT_SRC/bin/go" ] || die "no Go toolchain at $GOROOT_SRC (set GOROOT_SRC)"
GOVERSION=$("$GOROOT_SRC/bin/go" env GOVERSION)
case "$GOVERSION" in
go1.26*) ;;
*) say "warning: $GOROOT_SRC is $GOVERSION, not go1.26" ;;
esac

WORK=$(mktemp -d /tmp/golang-standin.XXXXXX)
ROOT=$WORK/rootfs
cleanup() {
	# debootstrap mounts proc/sys inside the target; never leave them mounted.
	for m in "$ROOT/proc" "$ROOT/sys" "$ROOT/dev/pts" "$ROOT/dev"; do
		mountpoint -q "$m" 2>/dev/null && umount -l "$m" || true
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p "$ROOT" "$CACHE"

# The host's CA certificates: HTTPS here goes through an intercepting proxy whose
# CA is in the host's trust store, and `go mod download` inside the build needs it.
copy_host_cas() {
	local dest=$1
	mkdir -p "$dest"
	if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
		cp /usr/local/share/ca-certificates/*.crt "$dest/"
	fi
}

# The Go tree, as /usr/local/go (where the real image has it).
copy_go() {
	mkdir -p "$ROOT/usr/local"
	tar -C "$(dirname "$GOROOT_SRC")" -cf - --transform "s,^$(basename "$GOROOT_SRC"),go," "$(basename "$GOROOT_SRC")" |
		tar -C "$ROOT/usr/local" -xf -
	# As in the real image: GOPATH with src and bin, writable by anyone.
	mkdir -p "$ROOT/go/src" "$ROOT/go/bin"
	chmod -R 1777 "$ROOT/go"
}

do_import() {
	local from=$1 kind=$2
	say "importing as $IMAGE"
	local old
	old=$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)
	tar -C "$ROOT" --numeric-owner -cf - . | docker import \
		--change 'ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
		--change "ENV GOLANG_VERSION=${GOVERSION#go}" \
		--change 'ENV GOTOOLCHAIN=local' \
		--change 'ENV GOPATH=/go' \
		--change 'WORKDIR /go' \
		--change "LABEL $LABEL_KEY=true" \
		--change "LABEL $LABEL_KEY.kind=$kind" \
		--change "LABEL $LABEL_KEY.from=\"$from\"" \
		--change "LABEL $LABEL_KEY.built=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
		--change "CMD [\"$3\"]" \
		-m "local stand-in for $IMAGE: $from" \
		- "$IMAGE" >/dev/null
	local size new
	new=$(docker image inspect -f '{{.Id}}' "$IMAGE")
	# With -f, drop the image this one replaced (unless something still uses it).
	if [ -n "$old" ] && [ "$old" != "$new" ]; then docker rmi "$old" >/dev/null 2>&1 || true; fi
	size=$(docker image inspect -f '{{.Size}}' "$IMAGE")
	say "built $IMAGE ($kind stand-in, $((size / 1000000)) MB) in $(elapsed)s: $from"
}

if [ "$FAST" = 1 ]; then
	BB=$(command -v busybox || true)
	if [ -z "$BB" ] || ! file -L "$BB" 2>/dev/null | grep -q 'statically linked'; then
		[ -x /bin/busybox ] && BB=/bin/busybox
	fi
	[ -n "$BB" ] || die "--fast needs busybox-static (apt-get install -y busybox-static)"
	mkdir -p "$ROOT/bin" "$ROOT/tmp" "$ROOT/etc/ssl/certs"
	chmod 1777 "$ROOT/tmp"
	cp "$BB" "$ROOT/bin/busybox"
	for a in sh ls cat env mkdir rm cp mv ln chmod grep sed tar wget; do ln -s busybox "$ROOT/bin/$a"; done
	# The host's bundle already includes the proxy CA.
	cp -L /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/ca-certificates.crt"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$ROOT/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$ROOT/etc/group"
	copy_go
	do_import "busybox-static + host $GOVERSION + host CA bundle (no gcc, no git: cgo and VCS stamping unavailable)" fast sh
	exit 0
fi

command -v debootstrap >/dev/null || die "debootstrap not found (apt-get install -y debootstrap)"

# The mirror apt uses on this machine (deb822 .sources or one-line sources.list).
mirror_from_apt() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '/^URIs:/{for(i=2;i<=NF;i++) if ($i ~ /\/debian\/?$/) {print $i; exit}}' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1=="deb"{for(i=2;i<=NF;i++) if ($i ~ /^https?:/ && $i ~ /\/debian\/?$/) {print $i; exit}}' "$f"
	done
}
MIRROR=${STANDIN_MIRROR:-$(mirror_from_apt | head -n1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
MIRROR=${MIRROR%/}

# Fall back to a suite the mirror has if it lacks trixie (say so in the label).
if ! curl -fsS -o /dev/null --max-time 15 "$MIRROR/dists/$SUITE/Release"; then
	want=$SUITE
	SUITE=
	for s in stable bookworm; do
		if curl -fsS -o /dev/null --max-time 15 "$MIRROR/dists/$s/Release"; then SUITE=$s; break; fi
	done
	[ -n "$SUITE" ] || die "mirror $MIRROR has neither $want nor stable"
	say "mirror $MIRROR has no $want; using $SUITE instead (the label says so)"
	SUITE_NOTE=" (mirror lacked $want)"
fi
SUITE_NOTE=${SUITE_NOTE:-}

# The cache holds the finished debootstrap root (before Go and the CAs, which
# change with the host), keyed by suite, mirror and package list.
KEY=$(printf '%s\n' "$SUITE" "$MIRROR" "$PACKAGES" | sha256sum | cut -c1-12)
BASE_TAR=$CACHE/debootstrap-$SUITE-minbase-$KEY.tar
if [ -s "$BASE_TAR" ]; then
	say "using cached $BASE_TAR"
	tar -C "$ROOT" --numeric-owner -xpf "$BASE_TAR"
else
	say "debootstrap --variant=minbase $SUITE from $MIRROR (about a minute)"
	LOG=$WORK/debootstrap.log
	if ! debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOT" "$MIRROR" >"$LOG" 2>&1; then
		tail -n 15 "$LOG" >&2
		[ -f "$ROOT/debootstrap/debootstrap.log" ] && tail -n 15 "$ROOT/debootstrap/debootstrap.log" >&2
		die "debootstrap failed"
	fi
	# Trim as Debian's own images do: no package cache, no apt lists.
	chroot "$ROOT" apt-get clean >/dev/null 2>&1 || true
	rm -rf "$ROOT"/var/lib/apt/lists/* "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/log/*.log "$ROOT"/var/log/apt/*
	for m in "$ROOT/proc" "$ROOT/sys"; do mountpoint -q "$m" && umount -l "$m" || true; done
	tar -C "$ROOT" --numeric-owner -cpf "$BASE_TAR.tmp" . && mv "$BASE_TAR.tmp" "$BASE_TAR"
	say "debootstrap done in $(elapsed)s; cached as $BASE_TAR"
fi

copy_host_cas "$ROOT/usr/local/share/ca-certificates"
chroot "$ROOT" update-ca-certificates >/dev/null 2>&1 || die "update-ca-certificates failed in the chroot"
copy_go
rm -f "$ROOT/etc/hostname" "$ROOT/etc/resolv.conf"

do_import "debootstrap --variant=minbase $SUITE$SUITE_NOTE from $MIRROR + $PACKAGES + host $GOVERSION + host CAs" debootstrap bash
