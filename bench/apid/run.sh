#!/bin/sh
# bench/apid/run.sh: berth-apid, the Docker Engine API, as root from a built tree.
#
# 1. `docker run --rm IMAGE true` through berth-apid against
#    `berth run --rm IMAGE true` (the same engine, the berth client), with the
#    default bridge network, in one hyperfine run.
#    `docker --version` is measured too: the docker CLI's own start, which
#    every docker command pays before it says a word to any daemon; and
#    run-flow.py sends the requests docker run makes, in its order, timed
#    inside a minimal client: the API's cost without the docker CLI's.
# 2. 100 running containers: `docker ps` against `berth ps`, and the API
#    call alone (GET /containers/json by curl on the socket).
# 3. Log streaming: a container writes LOG_MIB MiB of 100-byte lines, another
#    of 4000-byte lines (json-file, rotation off), and exits; then
#    `docker logs` (a stdcopy frame a line, as dockerd sends), the API call
#    alone (curl to /dev/null) and `berth logs` read them all: MiB/s.
# 4. berth-apid's resident memory: idle after start, and after all of the
#    above (VmRSS; the anonymous part, RssAnon, is what it owns alone).
# The docker CLI is the one in /usr/local/bin (28.x); nothing is downloaded.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/bench/lib.sh"
build=${BERTH_BUILDDIR:-$top}
runs=${RUNS:-30}
n=${CONTAINERS:-100}
logmib=${LOG_MIB:-256}
need "hyperfine python3" hyperfine python3 docker
tmp=$(mktemp -d /var/tmp/berth-bench-apid.XXXXXX)
run=$(mktemp -d /run/berth-bench-apid.XXXXXX)
chmod 0755 "$tmp" "$run" # berth-apid, its own user, goes through them
group=bbapid$$
export BERTH_ROOT=$tmp/root BERTH_RUN=$run/berth BERTH_DAEMON_DIR=$build
export BERTH_BRIDGE=bbapid$$ BERTH_NFT_TABLE=berth_bapid_$$
export DOCKER_HOST=unix://$BERTH_RUN/docker.sock DOCKER_CONFIG=$tmp/docker-config
unset DOCKER_API_VERSION DOCKER_CONTEXT
B="$build/berth"
IMG=berth-test/busybox
cleanup() {
	set +e
	bench_engine_cleanup
	groupdel "$group" 2>/dev/null
}
trap cleanup EXIT INT TERM HUP PIPE
groupadd --system "$group"

rss() {
	p=$(cat "$BERTH_RUN/berth-apid.pid")
	echo "berth-apid $1: $(awk '/^VmRSS/ {r=$2} /^RssAnon/ {a=$2} END {print r " KiB RSS, " a " KiB anonymous"}' "/proc/$p/status")"
}

python3 "$top/tests/fixtures/make-images.py" "$tmp/images" >/dev/null
$B system start --group "$group" >/dev/null
$B load -q -i "$tmp/images/busybox.tar" >/dev/null
sleep 1
rss "idle, just started"

echo "== 1. run --rm $IMG true"
docker run --rm "$IMG" true || { echo "bench: docker run failed" >&2; exit 1; }
hyperfine -N --warmup 3 --runs "$runs" --export-json "$tmp/run.json" \
	"docker run --rm $IMG true" "$B run --rm $IMG true" "docker --version"
python3 - "$tmp/run.json" <<'PY'
import json, sys
r = [x["mean"] for x in json.load(open(sys.argv[1]))["results"]]
print("docker run --rm via berth-apid / berth run --rm: %.2fx" % (r[0] / r[1]))
print("the same without the docker CLI's own start (docker --version): %.2fx" % ((r[0] - r[2]) / r[1]))
PY
flow=$(python3 "$top/bench/apid/run-flow.py" "$BERTH_RUN/docker.sock" "$IMG" "$runs")
python3 - "$tmp/run.json" "$flow" <<'PY'
import json, sys
r = [x["median"] for x in json.load(open(sys.argv[1]))["results"]]
print("docker run's requests from a minimal client: %s ms median; berth run --rm %.1f ms: %.2fx"
      % (sys.argv[2], r[1] * 1000, float(sys.argv[2]) / (r[1] * 1000)))
PY

echo "== 2. ps with $n containers"
i=0
while [ "$i" -lt "$n" ]; do
	$B run -d "$IMG" sleep 100000 >/dev/null
	i=$((i + 1))
done
hyperfine -N --warmup 3 --runs "$runs" "docker ps" "$B ps" \
	"curl -s -o /dev/null --unix-socket $BERTH_RUN/docker.sock http://x/v1.45/containers/json"
rss "with $n containers, after ps"
$B rm -f $($B ps -aq) >/dev/null

logs() { # LINE-BYTES
	line=$(head -c "$(($1 - 1))" /dev/zero | tr '\0' x)
	echo "== 3. logs: $logmib MiB of $1-byte lines"
	id=$($B run -d --log-opt max-size=4g "$IMG" sh -c "yes $line | head -c $((logmib * 1048576))")
	$B wait "$id" >/dev/null
	bytes=$(docker logs "$id" | wc -c)
	hyperfine -N --warmup 1 --runs 5 --export-json "$tmp/logs.json" \
		"docker logs $id" \
		"curl -s -o /dev/null --unix-socket $BERTH_RUN/docker.sock http://x/v1.45/containers/$id/logs?stdout=1" \
		"$B logs $id"
	python3 - "$tmp/logs.json" "$bytes" <<'PY'
import json, sys
for x in json.load(open(sys.argv[1]))["results"]:
    name = " ".join(w.rsplit("/", 1)[-1] for w in x["command"].split()[:2] if not w.startswith("-"))
    print("%-22s %7.0f MiB/s" % (name, int(sys.argv[2]) / 1048576 / x["mean"]))
PY
	$B rm -f "$id" >/dev/null
}
logs 100
logs 4000
sleep 1
rss "idle again, after all of it"
