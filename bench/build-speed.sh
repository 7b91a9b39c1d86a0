#!/usr/bin/env bash
# build-speed.sh [SIZES...]: `multistage build` against Hugo (Debian's package, /usr/bin/hugo) on the same
# generated corpus of tutorial-like pages (bench/gen-corpus.sh: front matter, a table, lists, a Dockerfile, a
# Go and a shell block), default 1000 and 5000 pages. For each size and tool: one untimed warm-up run (page
# cache, Go build cache), then ROUNDS timed runs (default 3), the tools taking turns, side by side. Prints
# the median wall time, pages/s, median CPU time and peak memory (/usr/bin/time's maximum resident set
# size, the largest of the runs), every run's wall time, and ours/Hugo. Each run is bounded by TIMEOUT
# seconds.
#
#   bench/build-speed.sh            # 1000 and 5000 pages
#   bench/build-speed.sh 200        # a quick look
#
# The goal (issue 5) is at least 5x Hugo's pages per second at both sizes. On a shared machine wall times
# move with the load; CPU seconds move less, so both are shown.
#
# Every run writes into a new folder, and the outputs are deleted only when the script ends. Deleting an
# output just before the next run measured the file system instead of the tools: on ext4 without a journal
# (this VM's disk) each new inode is found by skipping every inode deleted in the last five minutes whose
# inode-table block is dirty (ext4's recently_deleted(), 40% of all samples in `perf record -a`), so
# creating 5000 folders and files went from 0.2-0.4 s in a fresh folder to 2-5 s after an `rm -rf`, and
# grew with every cycle, for both tools alike. Once written back, a deleted inode is skipped for five
# seconds only, so each timed run starts after a `sync`: what anything before it deleted (an earlier run of
# this script, a test suite) is then not charged to whichever tool runs first.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(1000 5000)
TIMEOUT=${TIMEOUT:-600}
ROUNDS=${ROUNDS:-3}  # timed runs per tool and size, interleaved; the median is shown
HUGO=${HUGO:-/usr/bin/hugo}
[ -x "$HUGO" ] || { echo "needs Hugo at $HUGO (apt-get install hugo)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$root" && go build -o "$tmp/multistage" .)

# measure NAME CMD...: runs CMD once under /usr/bin/time; prints "wall cpu maxrss_kb".
measure() {
  local log=$tmp/time.log
  if ! /usr/bin/time -o "$log" -f '%e %U %S %M' timeout "$TIMEOUT" "$@" >"$tmp/out.log" 2>&1; then
    echo "failed: $* ($(tail -1 "$tmp/out.log"))" >&2; return 1
  fi
  awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$log"
}

# median of the arguments (numbers)
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

printf '%-6s %-11s %8s %9s %8s %9s   %s\n' pages tool "wall s" pages/s "cpu s" "peak MB" "(median of $ROUNDS; walls)"
for n in "${sizes[@]}"; do
  hs=$tmp/hugo-$n; ms=$tmp/src-$n
  mkdir -p "$hs" "$ms/content" "$ms/screenshots"
  cp -r "$here/hugo-skel/." "$hs/"
  "$here/gen-corpus.sh" "$n" "$hs/content/tut"
  printf -- '---\ntitle: "Tutorial"\n---\n' >"$hs/content/tut/_index.md"
  cp "$hs"/content/tut/page-*.md "$ms/content/"
  cp "$root/Dockerfile" "$root/Dockerfile.normal" "$ms/"
  # run TOOL OUT: one build of size n by TOOL into the new folder OUT.
  run() {
    if [ "$1" = multistage ]; then
      measure "$tmp/multistage" build -src "$ms" -o "$2"
    else
      measure "$HUGO" --quiet -s "$hs" -d "$2"
    fi
  }
  for tool in multistage hugo; do run $tool "$tmp/out-$tool-$n-warm" >/dev/null; done
  declare -A walls=() cpus=() rsss=()
  for r in $(seq 1 "$ROUNDS"); do
    for tool in multistage hugo; do
      # Written-back metadata: what earlier runs left dirty is not charged
      # to the next one (see the note on ext4 above).
      sync
      read -r wall cpu rss <<<"$(run $tool "$tmp/out-$tool-$n-$r")"
      walls[$tool]+="$wall "; cpus[$tool]+="$cpu "; rsss[$tool]+="$rss "
    done
  done
  declare -A res=()
  for tool in multistage hugo; do
    # shellcheck disable=SC2086
    wall=$(median ${walls[$tool]}); cpu=$(median ${cpus[$tool]}); rss=$(printf '%s\n' ${rsss[$tool]} | sort -n | tail -1)
    res[$tool]="$wall $cpu"
    printf '%-6s %-11s %8.2f %9.0f %8.2f %9.0f   (%s)\n' "$n" "$tool" "$wall" "$(echo "$n / $wall" | bc -l)" "$cpu" "$((rss / 1024))" "${walls[$tool]% }"
  done
  got=$(find "$tmp/out-multistage-$n-1" -name index.html | wc -l)
  [ "$got" -ge "$n" ] || { echo "our export has $got pages for $n sources" >&2; exit 1; }
  read -r mw mc <<<"${res[multistage]}"; read -r hw hc <<<"${res[hugo]}"
  printf '%-6s %-11s %7.1fx %9s %7.1fx   (Hugo/ours: goal >= 5x)\n' "$n" ratio "$(echo "$hw / $mw" | bc -l)" "" "$(echo "$hc / $mc" | bc -l)"
done
