#!/usr/bin/env bash
# bench/startup.sh [RUNS]: figures for the served binary, measured on this machine.
#   - binary size built as the image builds it (-trimpath -ldflags "-s -w", CGO_ENABLED=0)
#   - start to first 200 on /healthz (median and worst of RUNS starts)
#   - full render time of the embedded tutorial (the server logs it as build=)
#   - RSS at the first 200 (VmRSS), its peak (VmHWM), and 1 s later once idle
# Loopback only; every process started here is stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-20}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/multistage" .
size=$(stat -c %s "$tmp/multistage")
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
python3 - "$tmp/multistage" "$port" "$RUNS" "$size" <<'PY'
import os, re, socket, statistics, subprocess, sys, time
binary, port, runs, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def healthz():
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=0.2)
    except OSError:
        return False
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return s.recv(64).startswith(b"HTTP/1.1 200")
    finally:
        s.close()
starts, builds, rss, hwm, settled = [], [], [], [], []
for _ in range(runs):
    t0 = time.perf_counter()
    p = subprocess.Popen([binary, "serve", "-addr", f"127.0.0.1:{port}", "-quiet"], stderr=subprocess.PIPE, cwd="/")
    try:
        while not healthz():
            if time.perf_counter() - t0 > 10:
                raise SystemExit("no 200 on /healthz within 10 s")
            time.sleep(0.0005)
        starts.append((time.perf_counter() - t0) * 1000)
        status = open(f"/proc/{p.pid}/status").read()
        rss.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
        hwm.append(int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024)
        if len(settled) < 5:  # and once it has settled (it frees the build's memory)
            time.sleep(1)
            status = open(f"/proc/{p.pid}/status").read()
            settled.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
    finally:
        p.terminate()
        _, err = p.communicate(timeout=10)
    m = re.search(r"build=([0-9.]+)(µs|ms|s)", err.decode("utf-8", "replace"))
    if m:
        v = float(m.group(1)); unit = m.group(2)
        builds.append(v / 1000 if unit == "µs" else v * 1000 if unit == "s" else v)
print(f"binary (-trimpath -s -w, static): {size/1e6:.2f} MB ({size} bytes)")
print(f"start to first 200 on /healthz:   median {statistics.median(starts):.1f} ms, worst {max(starts):.1f} ms ({runs} starts)")
if builds:
    print(f"full render of the tutorial:      median {statistics.median(builds):.1f} ms")
print(f"RSS at the first 200:             median {statistics.median(rss):.1f} MB (peak {max(hwm):.1f} MB)")
print(f"RSS 1 s later, idle:              median {statistics.median(settled):.1f} MB")
PY
