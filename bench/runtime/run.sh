#!/bin/sh
# bench/runtime/run.sh: `run` of /bin/true in the same busybox bundle with
# berth-runtime, crun and runc, in one run (hyperfine), then each one's peak
# RSS (GNU time). Run as root from a built tree.
#
# crun 1.8 refuses this kind of hybrid cgroup host, so everything runs in a
# private mount namespace where /sys/fs/cgroup/unified is unmounted: the same
# conditions for all three.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/bench/lib.sh"
build=${BERTH_BUILDDIR:-$top}
runs=${RUNS:-200}
tmp=$(mktemp -d /tmp/berth-bench-rt.XXXXXX)
# state roots on a tmpfs (mounted in the private namespace below), as every
# runtime's default /run is on a usual host
state=$(mktemp -d /run/berth-bench-rt.XXXXXX)
trap 'rm -rf "$tmp" "$state"' EXIT INT TERM
"$top/tests/fixtures/make-bundle.sh" "$tmp/bundle" true
need "hyperfine crun runc time" hyperfine crun runc /usr/bin/time
export build tmp state runs
unshare -m sh -eu <<'SH'
umount /sys/fs/cgroup/unified 2>/dev/null || true
mount -t tmpfs -o size=64m berth-bench "$state"
cd "$tmp/bundle"
berth="$build/berth-runtime --root $state/berth run bench"
crun="crun --root $state/crun run bench"
runc="runc --root $state/runc run bench"
hyperfine -N --warmup 20 --runs "$runs" --export-json "$tmp/h.json" \
	-n berth-runtime "$berth" -n crun "$crun" -n runc "$runc" >/dev/null
python3 - "$tmp/h.json" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
base = res["crun"]["median"]
print(f"{'runtime':<14} {'median':>9} {'mean':>9} {'min':>9}  vs crun")
for name in ("berth-runtime", "crun", "runc"):
    r = res[name]
    print(f"{name:<14} {r['median']*1e3:8.2f}ms {r['mean']*1e3:8.2f}ms {r['min']*1e3:8.2f}ms  {r['median']/base:5.2f}x")
PY
echo
echo "peak RSS (max of 20 runs, GNU time %M):"
for name in berth crun runc; do
	eval cmd=\$$name
	max=0
	for i in $(seq 20); do
		kb=$(/usr/bin/time -f %M $cmd 2>&1 >/dev/null | tail -n 1)
		[ "$kb" -gt "$max" ] && max=$kb
	done
	awk -v n="$name" -v kb="$max" 'BEGIN { printf "%-14s %6.2f MiB\n", n, kb / 1024 }'
done
SH
