#!/bin/sh
# bench/proto/run.sh: start berth-containerd in a scratch root, measure PING
# round trips and 1 MiB payload throughput over its socket, stop it.
# Each figure comes twice: daemon and client on the same CPU, then on two
# CPUs; a raw socketpair echo gives the machine's floor for both.
# Usage: bench/proto/run.sh [ROUNDS]   (run as root from a built tree)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BERTH_BUILDDIR:-$top}
bench="$build/bench/proto/bench-proto"
rounds=${1:-20000}
tmp=$(mktemp -d /tmp/berth-bench.XXXXXX)
pid=
stop() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
		pid=
	fi
}
trap 'stop; rm -rf "$tmp"' EXIT INT TERM
start() {
	taskset -c "$1" "$build/berth-containerd" --foreground --log-level error \
		--root "$tmp/root" --run "$tmp/run" 2>/dev/null &
	pid=$!
	i=0
	while [ ! -S "$tmp/run/containerd.sock" ] && [ $i -lt 500 ]; do sleep 0.01; i=$((i + 1)); done
}
ncpu=$(nproc)
echo "== same CPU (daemon and client on cpu 0)"
taskset -c 0 "$bench" --baseline "$rounds"
start 0
taskset -c 0 "$bench" "$tmp/run/containerd.sock" "$rounds"
stop
if [ "$ncpu" -gt 1 ]; then
	echo "== two CPUs (daemon on cpu 0, client on cpu 1)"
	taskset -c 0,1 "$bench" --baseline "$rounds"
	start 0
	taskset -c 1 "$bench" "$tmp/run/containerd.sock" "$rounds"
	stop
fi
