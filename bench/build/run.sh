#!/bin/sh
# bench/build/run.sh: berth build against buildah bud, as root from a built tree.
#
# One context and a 10-step Dockerfile (ENV, WORKDIR, two COPYs, five RUNs,
# CMD) on the busybox image made at test time, built by both tools in one
# hyperfine run:
#   cold: every step runs (berth build --no-cache, buildah bud --no-cache)
#   warm: nothing changed, every step comes from the cache (berth build,
#         buildah bud --layers)
# buildah gets its own storage (overlay driver) and the same base image
# (pulled from the docker-archive berth loads). The berth daemons and buildah
# run in a private mount namespace where /sys/fs/cgroup/unified is unmounted
# (crun, under buildah, refuses this hybrid host otherwise).
# Needs hyperfine and buildah; nothing is downloaded.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/bench/lib.sh"
build=${BERTH_BUILDDIR:-$top}
runs=${RUNS:-10}
need "hyperfine buildah python3" hyperfine buildah python3
tmp=$(mktemp -d /var/tmp/berth-bench-build.XXXXXX)
run=$(mktemp -d /run/berth-bench-build.XXXXXX)
export top build runs tmp run
unshare -m --propagation private sh -eu <<'SH'
. "$top/bench/lib.sh"
umount /sys/fs/cgroup/unified 2>/dev/null || true
export BERTH_ROOT=$tmp/root BERTH_RUN=$run/berth BERTH_DAEMON_DIR=$build
export BERTH_BRIDGE=bbbench$$ BERTH_NFT_TABLE=berth_bbench_$$
B="$build/berth"
BA="buildah --root $tmp/buildah --runroot $run/buildah --storage-driver overlay"
cleanup() {
	set +e
	$BA rm --all >/dev/null 2>&1
	$BA rmi --all --force >/dev/null 2>&1
	bench_engine_cleanup
}
trap cleanup EXIT INT TERM HUP PIPE

python3 "$top/tests/fixtures/make-images.py" "$tmp/images" >/dev/null
$B system start >/dev/null
$B load -q -i "$tmp/images/busybox.tar" >/dev/null
$BA pull -q "docker-archive:$tmp/images/busybox.tar" >/dev/null
$BA tag "$($BA images -q | head -1)" berth-test/busybox:latest >/dev/null

ctx=$tmp/ctx
mkdir -p "$ctx/src"
for i in $(seq 1 50); do head -c 4096 /dev/urandom >"$ctx/src/file$i"; done
echo 'echo app' >"$ctx/app.sh"
cat >"$ctx/Dockerfile" <<'DF'
FROM berth-test/busybox
ENV APP=/app
WORKDIR /app
COPY src/ ./src/
COPY app.sh ./
RUN chmod 755 app.sh
RUN mkdir -p /app/data && echo one > /app/data/1
RUN cat src/file1 src/file2 > /app/data/joined
RUN echo "$APP" > /app/where
RUN ls -R /app > /app/listing
CMD ["/app/app.sh"]
DF
# the first builds fill both caches
$B build -q -t bench:warm "$ctx" >/dev/null
$BA bud -q --layers --isolation chroot -t bench:warm "$ctx" >/dev/null 2>&1 ||
	$BA bud -q --layers -t bench:warm "$ctx" >/dev/null
iso=chroot
$BA bud -q --layers --isolation chroot -t bench:warm "$ctx" >/dev/null 2>&1 || iso=oci

echo "== cold build, 10 steps (no cache) =="
hyperfine -N --warmup 1 --runs "$runs" \
	-n "berth build --no-cache" "$B build -q --no-cache -t bench:cold $ctx" \
	-n "buildah bud --no-cache ($iso)" "$BA bud -q --no-cache --layers --isolation $iso -t bench:cold $ctx"
echo "== warm rebuild (every step cached) =="
hyperfine -N --warmup 2 --runs "$runs" \
	-n "berth build" "$B build -q -t bench:warm $ctx" \
	-n "buildah bud --layers ($iso)" "$BA bud -q --layers --isolation $iso -t bench:warm $ctx"
SH
