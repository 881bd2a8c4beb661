#!/bin/sh
# bench/shim/run.sh: the shim's idle RSS with a running `sleep` container, and
# its log throughput for a container writing 1 GiB of 4 KiB lines to stdout
# (bench/shim/flood.c, compiled static at run time),
# against the same container writing to /dev/null with no shim (berth-runtime
# run), which is what the container costs by itself. Run as root from a built tree.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BERTH_BUILDDIR:-$top}
ctl="python3 $top/tests/integration/shimctl.py"
tmp=$(mktemp -d /tmp/berth-bench-shim.XXXXXX)
state=$(mktemp -d /run/berth-bench-shim.XXXXXX)
trap 'for p in "$state"/*/shim.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null; done; rm -rf "$tmp" "$state"' EXIT INT TERM
now() { date +%s.%N; }

"$top/tests/fixtures/make-bundle.sh" "$tmp/idle" sleep 1000 >/dev/null
"$build/berth-shim" --id idle --bundle "$tmp/idle" --state-dir "$state/idle" >/dev/null
$ctl "$state/idle/shim.sock" create >/dev/null
$ctl "$state/idle/shim.sock" start >/dev/null
sleep 1
pid=$(cat "$state/idle/shim.pid")
echo "idle shim with a running sleep container: RSS $(awk '/^VmRSS/ {print $2}' /proc/$pid/status) kB, PSS $(awk '/^Pss:/ {s+=$2} END {print s}' /proc/$pid/smaps_rollup) kB"
$ctl "$state/idle/shim.sock" kill 9 >/dev/null
$ctl "$state/idle/shim.sock" wait >/dev/null
$ctl "$state/idle/shim.sock" delete >/dev/null

# a static writer of 4 KiB lines, 64 KiB per write: the container as fast as it can be
"$top/tests/fixtures/make-bundle.sh" "$tmp/flood" /flood 1073741824 >/dev/null
cc -O2 -static -o "$tmp/flood/rootfs/flood" "$top/bench/shim/flood.c"
t0=$(now)
"$build/berth-runtime" --root "$state/rt" run -b "$tmp/flood" alone >/dev/null
t1=$(now)
"$build/berth-shim" --id flood --bundle "$tmp/flood" --state-dir "$state/flood" \
	--log-path "$state/flood.log" --log-max-size 0 >/dev/null
$ctl "$state/flood/shim.sock" create >/dev/null
t2=$(now)
$ctl "$state/flood/shim.sock" start >/dev/null
$ctl "$state/flood/shim.sock" wait >/dev/null
t3=$(now)
pid=$(cat "$state/flood/shim.pid")
hwm=$(awk '/^VmHWM/ {print $2}' /proc/$pid/status)
# the shim's own CPU time for the whole flood (utime + stime, in clock ticks)
ticks=$(awk '{print $14 + $15}' /proc/$pid/stat)
hz=$(getconf CLK_TCK)
$ctl "$state/flood/shim.sock" delete >/dev/null
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$t3" -v hwm="$hwm" -v cpu="$ticks" -v hz="$hz" -v size="$(stat -c %s "$state/flood.log")" 'BEGIN {
	printf "1 GiB of 4 KiB lines to /dev/null, no shim: %.2f s (%.0f MiB/s)\n", b - a, 1024 / (b - a)
	printf "1 GiB of 4 KiB lines logged by the shim:    %.2f s (%.0f MiB/s), log file %.0f MiB, shim peak RSS %d kB\n", d - c, 1024 / (d - c), size / 1048576, hwm
	printf "CPU time of the shim itself: %.2f s, i.e. it logs %.0f MiB per CPU second\n", cpu / hz, 1024 / (cpu / hz)
}'
