#!/bin/sh
# bench/registry/run.sh: pulling a ~300 MiB, 5-layer image from Debian's
# docker-registry on 127.0.0.1 into an empty store, ready to run (unpacked),
# in one hyperfine run:
#   berth pull                       (empty store before each run)
#   skopeo copy to an OCI layout, then umoci unpack
#   podman pull                      (its own empty storage before each run)
#   the floor: curl of the five blobs in parallel, each piped into tar -xz
# The image: five layers of 60 MiB (half random bytes, half text), made here
# with python, pushed by skopeo. Nothing leaves this machine.
# Needs hyperfine, docker-registry, skopeo, umoci, podman, curl.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/bench/lib.sh"
build=${BERTH_BUILDDIR:-$top}
runs=${RUNS:-5}
need "hyperfine docker-registry skopeo umoci podman curl python3" hyperfine docker-registry skopeo umoci podman curl python3
tmp=$(mktemp -d /var/tmp/berth-bench-reg.XXXXXX)
run=$(mktemp -d /run/berth-bench-reg.XXXXXX)
export BERTH_ROOT=$tmp/root BERTH_RUN=$run/berth BERTH_DAEMON_DIR=$build
export BERTH_BRIDGE=brbench$$ BERTH_NFT_TABLE=berth_rbench_$$
B="$build/berth"
PM="podman --root $tmp/podman --runroot $run/podman --storage-driver overlay"
port=$((30000 + $$ % 20000))
REG=127.0.0.1:$port
regpid=
cleanup() {
	set +e
	$PM rmi -a -f >/dev/null 2>&1
	[ -n "$regpid" ] && kill "$regpid" 2>/dev/null
	bench_engine_cleanup
}
trap cleanup EXIT INT TERM HUP PIPE

mkdir -p "$tmp/registry"
cat >"$tmp/registry.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $tmp/registry
http:
  addr: $REG
YML
docker-registry serve "$tmp/registry.yml" >"$tmp/registry.log" 2>&1 &
regpid=$!
for _ in $(seq 100); do curl -fs "http://$REG/v2/" >/dev/null 2>&1 && break; sleep 0.1; done

# a docker-archive with five 60 MiB layers
python3 - "$tmp/big.tar" <<'PY'
import hashlib, io, json, os, sys, tarfile
out = tarfile.open(sys.argv[1], "w")
diffs, layers = [], []
for i in range(5):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, data in (("random", os.urandom(30 << 20)),
                           ("text", (b"berth layer %d line\n" % i) * ((30 << 20) // 19))):
            info = tarfile.TarInfo(f"layer{i}/{name}")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    b = buf.getvalue()
    diffs.append("sha256:" + hashlib.sha256(b).hexdigest())
    name = f"l{i}.tar"
    info = tarfile.TarInfo(name); info.size = len(b); out.addfile(info, io.BytesIO(b))
    layers.append(name)
cfg = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
                  "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
for name, data in (("config.json", cfg),
                   ("manifest.json", json.dumps([{"Config": "config.json", "RepoTags": ["bench/big:1"],
                                                  "Layers": layers}]).encode())):
    info = tarfile.TarInfo(name); info.size = len(data); out.addfile(info, io.BytesIO(data))
out.close()
PY
skopeo copy -q --dest-tls-verify=false "docker-archive:$tmp/big.tar" "docker://$REG/bench/big:1"
rm -f "$tmp/big.tar"
manifest=$(curl -fs -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
	-H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$REG/v2/bench/big/manifests/1")
echo "$manifest" | python3 -c 'import json,sys; m=json.load(sys.stdin); print("image: %d layers, %.0f MiB compressed" % (len(m["layers"]), sum(l["size"] for l in m["layers"])/2**20))'
echo "$manifest" | python3 -c 'import json,sys; [print(l["digest"]) for l in json.load(sys.stdin)["layers"]]' >"$tmp/digests"
cat >"$tmp/floor.sh" <<SH
#!/bin/sh
rm -rf $tmp/floor && mkdir -p $tmp/floor
i=0
for d in \$(cat $tmp/digests); do
	i=\$((i + 1)); mkdir -p $tmp/floor/\$i
	curl -fs "http://$REG/v2/bench/big/blobs/\$d" | tar -xzf - -C $tmp/floor/\$i &
done
wait
SH
chmod +x "$tmp/floor.sh"

$B system start >/dev/null
$B pull $REG/bench/big:1 | grep -v "Downloading|Already exists"
$B rmi -f $REG/bench/big:1 >/dev/null 2>&1; $B image prune -a -f >/dev/null
echo "store after rmi + prune: $(ls $BERTH_ROOT/image/blobs/sha256 | wc -l) blobs, $(ls $BERTH_ROOT/image/snapshots | wc -l) snapshots"
$B pull $REG/bench/big:1 | grep -v "Downloading|Already exists"
echo "unpacked: $(du -sm $BERTH_ROOT/image/snapshots | cut -f1) MiB in the snapshots"
hyperfine --runs "$runs" \
	-n "berth pull" -p "$B rmi -f $REG/bench/big:1 >/dev/null 2>&1; $B image prune -a -f >/dev/null" \
	"$B pull -q $REG/bench/big:1" \
	-n "skopeo copy + umoci unpack" -p "rm -rf $tmp/oci $tmp/bundle" \
	"skopeo copy -q --src-tls-verify=false docker://$REG/bench/big:1 oci:$tmp/oci:big && umoci unpack --image $tmp/oci:big $tmp/bundle >/dev/null" \
	-n "podman pull" -p "$PM rmi -a -f >/dev/null 2>&1 || true" \
	"$PM pull -q --tls-verify=false $REG/bench/big:1" \
	-n "floor: curl x5 in parallel | tar -xz" -p "rm -rf $tmp/floor" "$tmp/floor.sh"
echo "berth-imaged RSS after the pulls: $(ps -o rss= -p "$(cat "$BERTH_RUN/berth-imaged.pid")") KiB"
