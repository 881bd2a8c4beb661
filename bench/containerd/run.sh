#!/bin/sh
# bench/containerd/run.sh: the whole engine, end to end, as root from a built tree.
#
# 1. `berth run --rm IMAGE true` (client -> containerd -> imaged -> shim ->
#    netd -> exit -> cleanup; with the default bridge network and with
#    --network none) against `crun run` of an equivalent bundle (the very
#    spec berth generates, seccomp profile and all, on the same busybox root),
#    `ctr run --rm` (Debian's containerd; no network) and
#    `podman run --rm --network none`, in one hyperfine run on the same image.
# 2. 100 `berth run -d IMAGE sleep` containers: how long they take to start,
#    then `berth ps -a` with 100 containers.
# 3. The resident memory of the three daemons, idle and with 100 containers.
#
# crun refuses this kind of hybrid cgroup host, so everything (the berth
# daemons too) runs in a private mount namespace where
# /sys/fs/cgroup/unified is unmounted: the same conditions for all.
# CGROUP_LAYOUT=v2 mounts the cgroup2 hierarchy on /sys/fs/cgroup there
# instead, as on a pure v2 host (most hosts today); on this VM no controller
# is bound to it, so nothing is limited, for any of the four.
# Needs hyperfine, crun, containerd (ctr) and podman; nothing is downloaded.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/bench/lib.sh"
build=${BERTH_BUILDDIR:-$top}
runs=${RUNS:-50}
n=${CONTAINERS:-100}
need "hyperfine crun containerd podman python3" hyperfine crun ctr containerd podman python3
tmp=$(mktemp -d /var/tmp/berth-bench-cd.XXXXXX)
run=$(mktemp -d /run/berth-bench-cd.XXXXXX)
layout=${CGROUP_LAYOUT:-v1}
export top build runs n tmp run layout
unshare -m --propagation private sh -eu <<'SH'
. "$top/bench/lib.sh"
if [ "$layout" = v2 ] && [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
	umount -R /sys/fs/cgroup
	mount -t cgroup2 none /sys/fs/cgroup
else
	umount /sys/fs/cgroup/unified 2>/dev/null || true
fi
echo "cgroup layout: $layout ($(stat -f -c %T /sys/fs/cgroup) on /sys/fs/cgroup)"
export BERTH_ROOT=$tmp/root BERTH_RUN=$run/berth BERTH_DAEMON_DIR=$build
export BERTH_BRIDGE=bcbench$$ BERTH_NFT_TABLE=berth_cbench_$$
B="$build/berth"
cleanup() {
	set +e
	[ -f "$tmp/ctrd.pid" ] && kill "$(cat "$tmp/ctrd.pid")" 2>/dev/null
	podman --root "$tmp/pod/root" --runroot "$run/pod" system reset -f >/dev/null 2>&1
	# crun's cgroup, once empty (berth's own go in bench_engine_cleanup)
	for d in /sys/fs/cgroup/*/berth-bench/* /sys/fs/cgroup/*/berth-bench \
		/sys/fs/cgroup/berth-bench/* /sys/fs/cgroup/berth-bench; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	bench_engine_cleanup
}
trap cleanup EXIT INT TERM

python3 "$top/tests/fixtures/make-images.py" "$tmp/images" >/dev/null
IMG="$tmp/images/busybox.tar"
$B system start >/dev/null
$B load -q -i "$IMG" >/dev/null

# crun: the spec berth generates for this image, on a busybox root of its own
"$top/tests/fixtures/make-bundle.sh" "$tmp/bundle" true >/dev/null
id2=$($B run -d berth-test/busybox sleep 1000)
python3 - "$run/berth/containers/$id2/config.json" "$tmp/bundle/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["true"]
c["linux"]["cgroupsPath"] = "berth-bench/crun"
c["mounts"] = [m for m in c["mounts"] if not m["destination"].startswith("/etc/")]
c.pop("annotations", None)
json.dump(c, open(sys.argv[2], "w"))
PY
$B rm -f "$id2" >/dev/null

# containerd (Debian's) with a private root, state and socket
mkdir -p "$tmp/ctrd"
cat >"$tmp/ctrd/config.toml" <<TOML
version = 2
root = "$tmp/ctrd/root"
state = "$run/ctrd"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$run/ctrd.sock"
TOML
containerd --config "$tmp/ctrd/config.toml" >"$tmp/ctrd/log" 2>&1 &
echo $! >"$tmp/ctrd.pid"
for i in $(seq 100); do [ -S "$run/ctrd.sock" ] && break; sleep 0.1; done
ctr -a "$run/ctrd.sock" images import "$IMG" >/dev/null
cref=$(ctr -a "$run/ctrd.sock" images ls -q | grep busybox | head -1)

# podman with a private store; root here cannot raise rlimits (no CAP_SYS_RESOURCE)
P="podman --root $tmp/pod/root --runroot $run/pod --cgroup-manager cgroupfs --events-backend none"
$P load -q -i "$IMG" >/dev/null
pref=localhost/berth-test/busybox:latest

cd "$tmp/bundle"
if [ "$layout" = v2 ]; then
	# runc (under ctr) wants a cpu controller this VM's cgroup2 hierarchy lacks, and
	# crun (alone or under podman) raises RLIMIT_MEMLOCK for its eBPF device filter,
	# which root here may not: the runtime alone is berth-runtime in this layout
	echo "(ctr, podman and crun cannot run with this VM's cgroup2 hierarchy; runtime alone: berth-runtime)"
	hyperfine -N --warmup 5 --runs "$runs" --export-json "$tmp/h.json" \
		-n "berth run --rm" "$B run --rm berth-test/busybox true" \
		-n "berth (network none)" "$B run --rm --network none berth-test/busybox true" \
		-n "berth-runtime (same spec)" "$build/berth-runtime --root $run/rt run -b $tmp/bundle bench" \
		>/dev/null
else
	hyperfine -N --warmup 5 --runs "$runs" --export-json "$tmp/h.json" \
		-n "berth run --rm" "$B run --rm berth-test/busybox true" \
		-n "berth (network none)" "$B run --rm --network none berth-test/busybox true" \
		-n "crun run (same spec)" "crun --root $run/crun run bench" \
		-n "ctr run --rm" "ctr -a $run/ctrd.sock run --rm $cref bench-ctr true" \
		-n "podman run --rm" "$P run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 $pref true" \
		>/dev/null
fi
python3 - "$tmp/h.json" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
berth = res["berth run --rm"]["median"]
crun = next(r for n, r in res.items() if "same spec" in n)["median"]
print(f"{'end to end, /bin/true':<22} {'median':>9} {'mean':>9} {'min':>9}   berth is")
for name, r in res.items():
    rel = "" if name.startswith("berth") else f"{r['median'] / berth:5.1f}x faster" if r["median"] > berth else f"{berth / r['median']:5.2f}x slower"
    print(f"{name:<22} {r['median']*1e3:7.1f}ms {r['mean']*1e3:7.1f}ms {r['min']*1e3:7.1f}ms   {rel}")
print(f"berth / runtime alone (median): {berth / crun:.2f}")
PY

rss() {
	total=0
	for d in containerd imaged netd; do
		kb=$(awk '/^VmRSS/ {print $2}' "/proc/$(cat "$BERTH_RUN/berth-$d.pid")/status")
		printf '  %-18s %6d KiB\n' "berth-$d" "$kb"
		total=$((total + kb))
	done
	printf '  %-18s %6d KiB (%.1f MiB)\n' "three daemons" "$total" "$(echo "$total / 1024" | bc -l)"
}
# idle: the daemons give freed heap back every five seconds
sleep 6
echo
echo "daemons' RSS, idle:"
rss
start=$(date +%s%N)
for i in $(seq "$n"); do $B run -d berth-test/busybox sleep 100000 >/dev/null; done
end=$(date +%s%N)
echo
echo "$n x berth run -d (one after another): $(((end - start) / 1000000)) ms, $(((end - start) / 1000 / n)) us each"
hyperfine -N --warmup 5 --runs "$runs" --export-json "$tmp/ps.json" "$B ps -a" >/dev/null
python3 - "$tmp/ps.json" "$n" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"berth ps -a with {sys.argv[2]} containers: median {r['median']*1e3:.2f} ms, mean {r['mean']*1e3:.2f} ms")
PY
sleep 6
echo
echo "daemons' RSS with $n containers:"
rss
shim=$(cat "$(ls "$run"/berth/containers/*/shim.pid | head -1)")
echo "one idle shim: $(awk '/^VmRSS/ {print $2}' /proc/$shim/status) KiB RSS, $(awk '/^Pss:/ {print $2}' /proc/$shim/smaps_rollup) KiB PSS"
SH
