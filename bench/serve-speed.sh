#!/usr/bin/env bash
# Serving speed, side by side in one run: nginx (Debian's, sendfile,
# keepalive, 2 workers, gzip_static with .gz files holding our server's gzip
# bytes) against `multistage serve -quiet` and `multistage serve` (request
# log on), all on 127.0.0.1, measured with wrk: the tutorial's first page and
# a screenshot PNG, with and without Accept-Encoding: gzip, at 64 and 256
# connections. Prints req/s, p50 and p99 latency per server (each the median over ROUNDS), our ratio to
# nginx, the CPU each server spent per request (the figure the noise of a
# shared machine disturbs least), and our RSS under the load.
#
#   bench/serve-speed.sh            # 10 s per measurement, about 5 minutes
#   DURATION=5 ROUNDS=3 bench/serve-speed.sh
#
# Every process it starts is stopped by PID on exit. It installs nginx and
# wrk with apt-get only when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}   # seconds per wrk run
ROUNDS=${ROUNDS:-1}        # runs per server and case; the median is shown
THREADS=${THREADS:-2}
CONNS=${CONNS:-"64 256"}
TARGETS=${TARGETS:-"page png"}
GZIPS=${GZIPS:-"yes no"}

need=()
command -v wrk >/dev/null || need+=(wrk)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || need+=(nginx)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

tmp=$(mktemp -d)
chmod 755 "$tmp" # nginx's workers run as another user when started as root
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_up() { for _ in $(seq 1 100); do curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null && return 0; sleep 0.05; done; echo "no answer from $1" >&2; return 1; }

echo "== build and export"
go build -o "$tmp/multistage" .
"$tmp/multistage" build -o "$tmp/www" >/dev/null
go run ./tools/gzstatic -src . -dir "$tmp/www"
chmod -R a+rX "$tmp/www"
page=/
png=/$(cd "$tmp/www" && ls screenshots/*.png | head -1)

echo "== start nginx and two of ours"
np=$(free_port); qp=$(free_port); lp=$(free_port)
mkdir -p "$tmp/ngx/logs"
cat >"$tmp/ngx/nginx.conf" <<NGX
worker_processes 2; daemon off; pid $tmp/ngx/nginx.pid; error_log $tmp/ngx/logs/error.log warn;
events { worker_connections 4096; }
http { include /etc/nginx/mime.types; sendfile on; tcp_nopush on; tcp_nodelay on; keepalive_timeout 65;
  keepalive_requests 1000000; access_log off; gzip_static on; gzip_vary on; root $tmp/www;
  server { listen 127.0.0.1:$np; } }
NGX
"$NGINX" -p "$tmp/ngx" -c "$tmp/ngx/nginx.conf" & pids+=($!); npid=$!
"$tmp/multistage" serve -quiet -addr "127.0.0.1:$qp" 2>"$tmp/quiet.log" & pids+=($!); qpid=$!
"$tmp/multistage" serve -addr "127.0.0.1:$lp" 2>"$tmp/logged.log" & pids+=($!); lpid=$!
wait_up "http://127.0.0.1:$np/"; wait_up "http://127.0.0.1:$qp/healthz"; wait_up "http://127.0.0.1:$lp/healthz"
workers=$(pgrep -P "$npid" | tr '\n' ' ')
# In a container, /app/about's one walk of the root file system starts with
# the server; let it finish so that it does not share the first measurement.
for u in "$qp" "$lp"; do
  for _ in $(seq 1 60); do
    curl -fsS --max-time 5 "http://127.0.0.1:$u/app/about" | grep -q rootfs_pending || break
    sleep 0.25
  done
done
for u in "$np" "$qp"; do
  printf 'bytes of / with gzip on %s: %s\n' "$u" "$(curl -fsS -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "http://127.0.0.1:$u/")"
done

# cpu_ticks PIDS...: user+system clock ticks of the processes so far.
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14+$15}' "/proc/$p/stat"))); done; echo "$t"; }
hz=$(getconf CLK_TCK)
: >"$tmp/rss"
# run NAME PORT PATH GZIP CONNS PIDS...: one wrk run; prints "rps p50ms p99ms us_per_req"
run() {
  local name=$1 port=$2 path=$3 gz=$4 c=$5; shift 5
  local hdr=() c0 c1 out
  [ "$gz" = yes ] && hdr=(-H 'Accept-Encoding: gzip')
  c0=$(cpu_ticks "$@")
  wrk -t"$THREADS" -c"$c" -d"${DURATION}s" --timeout 5s --latency "${hdr[@]}" "http://127.0.0.1:$port$path" >"$tmp/wrk.out" 2>&1 &
  local wpid=$!
  if [ "$name" != nginx ]; then # RSS of ours, sampled in the middle of the load
    sleep "$(( DURATION / 2 ))"
    awk '/VmRSS/{print $2}' "/proc/$1/status" >>"$tmp/rss"
  fi
  wait "$wpid"
  c1=$(cpu_ticks "$@")
  out=$(cat "$tmp/wrk.out")
  python3 - "$out" "$((c1 - c0))" "$hz" <<'PY'
import re, sys
out, ticks, hz = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def ms(v):
    m = re.match(r'([\d.]+)(us|ms|s|m)$', v)
    if not m:
        sys.exit("cannot read wrk's latency %r in:\n%s" % (v, out))
    return float(m.group(1)) * {'us': 1e-3, 'ms': 1, 's': 1e3, 'm': 6e4}[m.group(2)]
rps = float(re.search(r'Requests/sec:\s+([\d.]+)', out).group(1))
n = int(re.search(r'(\d+) requests in', out).group(1))
# the latency distribution's own lines ("     50%    1.02ms"), not a "+/- Stdev" figure
p50 = ms(re.search(r'^\s+50%\s+(\S+)$', out, re.M).group(1)); p99 = ms(re.search(r'^\s+99%\s+(\S+)$', out, re.M).group(1))
err = re.search(r'Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)', out)
print(f"{rps:.0f} {p50:.2f} {p99:.2f} {ticks * 1e6 / hz / max(n, 1):.1f}" + (" ERR" if err else ""))
PY
}

median() { sort -n | awk '{a[NR]=$0} END{print a[int((NR+1)/2)]}'; }

echo "== wrk: ${DURATION}s per run, $THREADS threads, $ROUNDS round(s), servers interleaved"
results=$tmp/results
: >"$results"
for target in $TARGETS; do
  path=$page; [ "$target" = png ] && path=$png
  for gz in $GZIPS; do
    for c in $CONNS; do
      for r in $(seq 1 "$ROUNDS"); do
        for srv in nginx quiet logged; do
          case $srv in
            nginx) line=$(run nginx "$np" "$path" "$gz" "$c" "$npid" $workers) ;;
            quiet) line=$(run quiet "$qp" "$path" "$gz" "$c" "$qpid") ;;
            logged) line=$(run logged "$lp" "$path" "$gz" "$c" "$lpid") ;;
          esac
          echo "$path $gz $c $srv $line" | tee -a "$results"
          sleep 1
        done
      done
    done
  done
done

echo
python3 - "$results" <<'PY'
import sys, statistics as st
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows.setdefault(tuple(f[:3]), {}).setdefault(f[3], []).append([float(x) for x in f[4:8]])
def med(v):  # each column's own median over the rounds (the p99 of the median-req/s run moved too much)
    return [st.median(col) for col in zip(*v)]
hdr = f"{'path':<36} {'gzip':<4} {'conns':>5} | {'nginx req/s':>11} {'p50':>6} {'p99':>6} {'µs/req':>6} | {'ours req/s':>10} {'p50':>6} {'p99':>6} {'µs/req':>6} {'ratio':>5} | {'logged req/s':>12} {'p99':>6} {'µs/req':>6} {'ratio':>5}"
print(hdr); print('-' * len(hdr))
for (path, gz, c), s in rows.items():
    n, q, l = med(s['nginx']), med(s['quiet']), med(s['logged'])
    print(f"{path:<36} {gz:<4} {c:>5} | {n[0]:>11.0f} {n[1]:>6.2f} {n[2]:>6.2f} {n[3]:>6.1f} | {q[0]:>10.0f} {q[1]:>6.2f} {q[2]:>6.2f} {q[3]:>6.1f} {q[0]/n[0]:>5.2f} | {l[0]:>12.0f} {l[2]:>6.2f} {l[3]:>6.1f} {l[0]/n[0]:>5.2f}")
print("latency in ms; µs/req is CPU time (user+system) the server spent per request")
PY
echo "RSS of ours under load (VmRSS sampled mid-run, max): $(sort -n "$tmp/rss" | tail -1) kB; VmHWM quiet $(awk '/VmHWM/{print $2}' /proc/$qpid/status) kB, logged $(awk '/VmHWM/{print $2}' /proc/$lpid/status) kB"
echo "request log lines written by the logged server: $(grep -c 'msg=request' "$tmp/logged.log" || true)"
