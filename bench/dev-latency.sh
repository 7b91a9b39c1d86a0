#!/usr/bin/env bash
# dev-latency.sh: save-to-reload latency of `multistage dev` next to `hugo server`, on the tutorial and
# on a generated 1000-page corpus, in one run. For each server and site it appends a line to one page
# N times (after a few unmeasured saves) and times save -> reload message: our /_live "reload" event,
# Hugo's livereload websocket "reload" command (tools/devbench does both). It also shows each server's
# own rebuild time: ours from the event's "ms", Hugo's from its "Total in N ms" log line.
#
#   bench/dev-latency.sh            # N=30 saves per row, 1000 pages; about two minutes
#   N=50 PAGES=2000 bench/dev-latency.sh
#
# Needs go, and hugo (Debian's package) for the Hugo rows; the corpus comes from the shared
# gen-corpus.sh/mk-hugo-site.sh (BENCH_DIR, default ../shared/bench). Everything binds to 127.0.0.1,
# runs in a temporary folder, and is removed at the end. Targets: median < 20 ms on the tutorial,
# < 100 ms on 1000 pages, and faster than Hugo on both.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-30}
PAGES=${PAGES:-1000}
BENCH_DIR=${BENCH_DIR:-$root/../shared/bench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "building multistage and tools/devbench ..." >&2
(cd "$root" && go build -o "$tmp/multistage" . && go build -o "$tmp/devbench" ./tools/devbench)

# Our sources: the tutorial as the repository has it (theme included, so the theme is watched too).
tut=$tmp/tutorial
mkdir -p "$tut/site" "$tut/app"
cp -r "$root/content" "$root/screenshots" "$tut/"
cp "$root/Dockerfile" "$root/Dockerfile.normal" "$tut/"
cp "$root/app/app.go" "$tut/app/"
cp -r "$root/site/theme" "$tut/site/"
tutfile=content/usage.md

# The 1000-page corpus, for us and as a Hugo site.
have_corpus=0
if [ -x "$BENCH_DIR/gen-corpus.sh" ]; then
  big=$tmp/corpus
  mkdir -p "$big/content" "$big/screenshots"
  "$BENCH_DIR/gen-corpus.sh" "$PAGES" "$big/content" >/dev/null
  cp "$root/Dockerfile" "$root/Dockerfile.normal" "$big/"
  have_corpus=1
else
  echo "no $BENCH_DIR/gen-corpus.sh: skipping the $PAGES-page rows" >&2
fi
bigfile=content/page-$(printf '%05d' $((PAGES / 2))).md

have_hugo=0
if command -v hugo >/dev/null && [ -d "$BENCH_DIR/hugo-skel" ]; then
  have_hugo=1
  # Hugo with the tutorial's own pages (its custom fences render as plain code blocks there).
  htut=$tmp/hugo-tutorial
  cp -r "$BENCH_DIR/hugo-skel" "$htut"
  mkdir -p "$htut/content/tut"
  cp "$root"/content/*.md "$htut/content/tut/"
  printf -- '---\ntitle: "Tutorial"\n---\n' >"$htut/content/tut/_index.md"
  if [ $have_corpus = 1 ]; then
    "$BENCH_DIR/mk-hugo-site.sh" "$PAGES" "$tmp/hugo-corpus" >/dev/null
  fi
else
  echo "no hugo: skipping the Hugo rows (apt-get install hugo)" >&2
fi

rows=()
run() { # run LABEL ARGS...
  local label=$1; shift
  echo "measuring: $label ..." >&2
  local out
  if out=$(timeout 600 "$tmp/devbench" -n "$N" "$@" 2>"$tmp/err"); then
    rows+=("$label|$out")
  else
    rows+=("$label|failed: $(tail -1 "$tmp/err")")
  fi
}
run "tutorial|multistage dev" -kind ours -bin "$tmp/multistage" -src "$tut" -file "$tutfile"
[ $have_hugo = 1 ] && run "tutorial|hugo server" -kind hugo -src "$htut" -file "content/tut/usage.md" -timeout 15s
if [ $have_corpus = 1 ]; then
  run "$PAGES pages|multistage dev" -kind ours -bin "$tmp/multistage" -src "$big" -file "$bigfile"
  # Hugo rebuilds every page of the corpus on a save (seconds): fewer saves, a longer wait for each,
  # so that every save is timed to its own reload.
  [ $have_hugo = 1 ] && run "$PAGES pages|hugo server" -kind hugo -src "$tmp/hugo-corpus" -file "content/tut/$(basename "$bigfile")" \
    -n $(( (N + 2) / 3 )) -warm 1 -gap 1s -timeout 20s
fi

echo
echo "Save-to-reload latency, ms ($N saves per row, $(( (N + 2) / 3 )) for Hugo on $PAGES pages; $(nproc) CPUs; $(hugo version 2>/dev/null | cut -d' ' -f1-2 || true))"
printf '%-12s %-16s %8s %8s %8s %8s %8s %14s\n' site server median p95 min max missed "server rebuild"
for r in "${rows[@]}"; do
  IFS='|' read -r site server res <<<"$r"
  if [[ $res == failed* ]]; then
    printf '%-12s %-16s %s\n' "$site" "$server" "$res"
    continue
  fi
  get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $res"; }
  printf '%-12s %-16s %8s %8s %8s %8s %8s %14s\n' "$site" "$server" "$(get median)" "$(get p95)" "$(get min)" "$(get max)" "$(get missed)" "$(get rebuild_median)"
done
echo "(server rebuild: median of the server's own figure; ours is the build inside the reload event, Hugo's its 'Total in' log line)"
