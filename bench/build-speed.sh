#!/usr/bin/env bash
# build-speed.sh [SIZES...]: `multistage build` against Hugo (Debian's package, /usr/bin/hugo) on the same
# generated corpus of tutorial-like pages (bench/gen-corpus.sh: front matter, a table, lists, a Dockerfile, a
# Go and a shell block), default 1000 and 5000 pages. For each size and tool: one untimed warm-up run (page
# cache, Go build cache), then one timed run, side by side. Prints wall time, pages/s, CPU time and peak
# memory (/usr/bin/time's maximum resident set size), and ours/Hugo. Each run is bounded by TIMEOUT seconds.
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
# grew with every cycle, for both tools alike.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(1000 5000)
TIMEOUT=${TIMEOUT:-600}
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

printf '%-6s %-11s %8s %9s %8s %9s\n' pages tool "wall s" pages/s "cpu s" "peak MB"
for n in "${sizes[@]}"; do
  hs=$tmp/hugo-$n; ms=$tmp/src-$n
  mkdir -p "$hs" "$ms/content" "$ms/screenshots"
  cp -r "$here/hugo-skel/." "$hs/"
  "$here/gen-corpus.sh" "$n" "$hs/content/tut"
  printf -- '---\ntitle: "Tutorial"\n---\n' >"$hs/content/tut/_index.md"
  cp "$hs"/content/tut/page-*.md "$ms/content/"
  cp "$root/Dockerfile" "$root/Dockerfile.normal" "$ms/"
  declare -A res=()
  for tool in multistage hugo; do
    for run in warm timed; do
      out=$tmp/out-$tool-$n-$run
      if [ $tool = multistage ]; then
        r=$(measure "$tmp/multistage" build -src "$ms" -o "$out")
      else
        r=$(measure "$HUGO" --quiet -s "$hs" -d "$out")
      fi
    done
    read -r wall cpu rss <<<"$r"
    res[$tool]="$wall $cpu"
    printf '%-6s %-11s %8.2f %9.0f %8.2f %9.0f\n' "$n" "$tool" "$wall" "$(echo "$n / $wall" | bc -l)" "$cpu" "$((rss / 1024))"
  done
  got=$(find "$tmp/out-multistage-$n-timed" -name index.html | wc -l)
  [ "$got" -ge "$n" ] || { echo "our export has $got pages for $n sources" >&2; exit 1; }
  read -r mw mc <<<"${res[multistage]}"; read -r hw hc <<<"${res[hugo]}"
  printf '%-6s %-11s %7.1fx %9s %7.1fx   (Hugo/ours: goal >= 5x)\n' "$n" ratio "$(echo "$hw / $mw" | bc -l)" "" "$(echo "$hc / $mc" | bc -l)"
done
