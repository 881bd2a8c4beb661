#!/usr/bin/env bats
# berth-imaged: load, list, tag, remove, inspect, history, prune; safe unpacking; crash safety.

load helpers

setup() {
	berth_setup
	IMGS="$BERTH_TMP/images"
	CANARY="$BERTH_TMP/canary"
	mkdir -p "$CANARY"
	echo original >"$CANARY/canary"
	python3 "$SRC/tests/fixtures/make-images.py" "$IMGS" "$CANARY"
	"$BERTH" system start >/dev/null
	STORE="$BERTH_ROOT/image"
}
teardown() { berth_teardown; }

snapshots() { ls "$STORE/snapshots" | grep -v '^active-' | sort; }
blobs() { ls "$STORE/blobs/sha256" | sort; }
refs() { python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["refs"], sort_keys=True))' "$STORE/refs.json"; }

# the root filesystem of an image as overlayfs shows it, listed from a private mount namespace
rootfs_view() {
	local lower
	lower=$(python3 - "$STORE" "$1" <<'PY'
import json, sys, hashlib
store, name = sys.argv[1], sys.argv[2]
refs = json.load(open(store + "/refs.json"))["refs"]
m = json.load(open(store + "/blobs/sha256/" + refs[name][7:]))
cfg = json.load(open(store + "/blobs/sha256/" + m["config"]["digest"][7:]))
chain, dirs = None, []
for d in cfg["rootfs"]["diff_ids"]:
    chain = d if chain is None else "sha256:" + hashlib.sha256((chain + " " + d).encode()).hexdigest()
    dirs.append(store + "/snapshots/" + chain[7:] + "/fs")
print(":".join(reversed(dirs)))
PY
)
	# overlayfs wants two lowers at least without an upper: an empty one at the bottom
	mkdir -p "$BERTH_TMP/mnt" "$BERTH_TMP/empty"
	unshare -m sh -c "mount -t overlay overlay -o lowerdir=$lower:$BERTH_TMP/empty $BERTH_TMP/mnt && cd $BERTH_TMP/mnt && $2"
}

@test "load a docker-archive: layers unpacked once, whiteouts and opaque dirs as overlayfs wants them" {
	run "$BERTH" load -i "$IMGS/multi-docker.tar"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Loaded image: berth-test/multi:1"* ]]
	[ "$(snapshots | wc -l)" -eq 2 ]
	run rootfs_view docker.io/berth-test/multi:1 'ls -A; echo ---; ls -A opaque; echo ---; stat -c "%u:%g %a" keep/owned; ls keep'
	[ "$status" -eq 0 ]
	[[ "$output" != *"gone"* ]]                 # whited out
	[[ "${lines[*]}" == *"added"* ]]
	[ "$(sed -n '/^---$/,/^---$/p' <<<"$output" | grep -v -- --- | tr '\n' ' ')" = "c " ] # opaque: only its own
	[[ "$output" == *"1000:1000 640"* ]]        # ownership and mode kept
	[[ "$output" == *"owned"* ]]                # a whiteout of a missing name hides nothing of its own layer
	# whiteout files never appear in a rootfs
	! find "$STORE/snapshots" -name '.wh.*' | grep -q .
	python3 - "$STORE" <<'PY'
import glob, os, sys
def opaque(p):
    try:
        return os.getxattr(p, "trusted.overlay.opaque") == b"y"
    except OSError:
        return False
marks = [opaque(p) for p in glob.glob(sys.argv[1] + "/snapshots/*/fs/opaque")]
assert sorted(marks) == [False, True], marks  # only the upper layer's opaque dir
PY
}

@test "unpacking keeps hardlinks, fifos, device nodes and xattrs" {
	"$BERTH" load -q -i "$IMGS/busybox.tar" >/dev/null
	snap="$STORE/snapshots/$(snapshots | head -n 1)/fs"
	[ "$(stat -c %i "$snap/keep/hardlink")" = "$(stat -c %i "$snap/etc/passwd")" ]
	[ "$(stat -c %F "$snap/keep/fifo")" = "fifo" ]
	[ "$(stat -c '%F %t:%T' "$snap/keep/null")" = "character special file 1:3" ]
	python3 -c 'import os,sys; assert os.getxattr(sys.argv[1], "user.berth") == b"kept"' "$snap/keep/xattr"
}

@test "references by name@digest and by full id" {
	"$BERTH" load -q -i "$IMGS/busybox.tar" >/dev/null
	digest=$("$BERTH" images --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Digest"])')
	id=$("$BERTH" images -q --no-trunc)
	run "$BERTH" image inspect "berth-test/busybox@$digest" "$id"
	[ "$status" -eq 0 ]
	[ "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(len({i["Id"] for i in d}))' "$output")" = 1 ]
	run "$BERTH" image inspect "berth-test/busybox@sha256:$(printf '%064d' 0)"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such image"* ]]
}

@test "a JSON document over the size limit is refused" {
	python3 - "$BERTH_TMP/huge.tar" <<'PY'
import io, json, sys, tarfile
t = tarfile.open(sys.argv[1], "w")
big = json.dumps({"rootfs": {"type": "layers", "diff_ids": []}, "pad": "x" * (9 << 20)}).encode()
for name, data in (("c.json", big), ("manifest.json", json.dumps([{"Config": "c.json", "RepoTags": ["huge:1"], "Layers": []}]).encode())):
    ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
t.close()
PY
	run "$BERTH" load -i "$BERTH_TMP/huge.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"archive member c.json is over the 8388608 byte limit"* ]]
}

@test "load an OCI layout tarball from stdin; shared layers are reused; compressed archives load too" {
	"$BERTH" load -i "$IMGS/multi-docker.tar" >/dev/null
	run "$BERTH" load <"$IMGS/multi-oci.tar"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Already exists"* ]]
	[[ "$output" == *"Loaded image: localhost/berth-test/multi-oci:2"* ]]
	[ "$(snapshots | wc -l)" -eq 2 ]
	gzip -c "$IMGS/busybox.tar" >"$BERTH_TMP/busybox.tar.gz"
	run "$BERTH" load -q -i "$BERTH_TMP/busybox.tar.gz"
	[ "$status" -eq 0 ]
	[ "$output" = "Loaded image: berth-test/busybox:latest" ]
	run "$BERTH" images
	[[ "$output" == *"berth-test/multi"*"1"* ]]
	[[ "$output" == *"localhost/berth-test/multi-oci"*"2"* ]]
	[[ "$output" == *"berth-test/busybox"*"latest"* ]]
}

@test "images: -q, --digests, --no-trunc, filters and --format json" {
	"$BERTH" load -q -i "$IMGS/multi-docker.tar" >/dev/null
	"$BERTH" load -q -i "$IMGS/busybox.tar" >/dev/null
	run "$BERTH" images -q
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[0]}" =~ ^[0-9a-f]{12}$ ]]
	run "$BERTH" images --no-trunc --digests
	[[ "$output" == *"sha256:"*"sha256:"* ]]
	run "$BERTH" images --filter reference='berth-test/bus*'
	[ "${#lines[@]}" -eq 2 ]
	[[ "${lines[1]}" == "berth-test/busybox"* ]]
	run "$BERTH" images --format json
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert len(d)==2 and all(i["Id"].startswith("sha256:") for i in d), d' "$output"
	run "$BERTH" images --filter dangling=true --format json
	[ "$(echo $output)" = "[]" ]
	run "$BERTH" images --filter nonsense=1
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid filter 'nonsense=1'"* ]]
}

@test "tag, then rmi untags a second name and deletes with the last one; unused blobs and layers go" {
	"$BERTH" load -q -i "$IMGS/busybox.tar" >/dev/null
	"$BERTH" tag berth-test/busybox mybox:v1
	run "$BERTH" images mybox
	[[ "$output" == *"mybox"*"v1"* ]]
	run "$BERTH" rmi mybox:v1
	[ "$status" -eq 0 ]
	[ "$output" = "Untagged: mybox:v1" ]
	[ "$(snapshots | wc -l)" -eq 1 ]
	run "$BERTH" rmi berth-test/busybox
	[ "$status" -eq 0 ]
	[[ "$output" == *"Untagged: berth-test/busybox:latest"* ]]
	[[ "$output" == *"Deleted: sha256:"* ]]
	[ "$(snapshots | wc -l)" -eq 0 ]
	[ "$(blobs | wc -l)" -eq 0 ]
	run "$BERTH" rmi berth-test/busybox
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such image: berth-test/busybox"* ]]
	run "$BERTH" tag nosuch:1 other:2
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such image: nosuch:1"* ]]
	run "$BERTH" tag berth-test/busybox 'Bad Name'
	[ "$status" -eq 1 ]
}

@test "image ids and id prefixes work as references; a shared layer stays while an image uses it" {
	"$BERTH" load -q -i "$IMGS/multi-docker.tar" >/dev/null
	"$BERTH" load -q -i "$IMGS/busybox.tar" >/dev/null
	id=$("$BERTH" images -q berth-test/busybox)
	run "$BERTH" image inspect "$id"
	[ "$status" -eq 0 ]
	python3 -c 'import json,sys; d=json.loads(sys.argv[1])[0]; assert d["RepoTags"]==["berth-test/busybox:latest"] and d["Config"]["Cmd"]==["sh"] and len(d["RootFS"]["Layers"])==1, d' "$output"
	# busybox's only layer is multi's first: removing busybox keeps it
	"$BERTH" rmi "$id" >/dev/null
	[ "$(snapshots | wc -l)" -eq 2 ]
}

@test "history lists the config's history, newest first" {
	"$BERTH" load -q -i "$IMGS/multi-docker.tar" >/dev/null
	run "$BERTH" history berth-test/multi:1
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" == *"make-images.py layer 2"* ]]
	[[ "${lines[2]}" == *"make-images.py layer 1"* ]]
	run "$BERTH" history --format json berth-test/multi:1
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert [h["CreatedBy"] for h in d]==["make-images.py layer 2","make-images.py layer 1"], d' "$output"
}

@test "untrusted layers: every escape fails clearly or stays inside, nothing outside changes" {
	before=$(find "$CANARY" -exec stat -c '%n %s %Y' {} + | sort)
	for e in dotdot absolute symlink hardlink whiteout dot-symlink bare-whiteout; do
		run "$BERTH" load -i "$IMGS/evil-$e.tar"
		echo "$e: $status $output"
		if [ "$status" -ne 0 ]; then
			[[ "$output" == *"berth: load: layer 1"* ]]
		fi
	done
	[ "$(find "$CANARY" -exec stat -c '%n %s %Y' {} + | sort)" = "$before" ]
	[ "$(cat "$CANARY/canary")" = original ]
	# what did load stayed inside its snapshot
	run "$BERTH" load -i "$IMGS/evil-bare-whiteout.tar"
	[[ "$output" == *"layer entry 'dir/.wh.' is a whiteout without a name"* ]]
	run "$BERTH" load -i "$IMGS/evil-dotdot.tar"
	[[ "$output" == *"Path contains '..'"* ]]
	# failed loads leave no half snapshot and no blob behind
	[ -z "$(ls "$STORE/snapshots" | grep tmp-)" ]
	[ -z "$(ls "$STORE/tmp")" ]
}

@test "bad archives: a clear error and the store as it was" {
	"$BERTH" load -q -i "$IMGS/busybox.tar" >/dev/null
	state="$(blobs) $(snapshots) $(refs)"
	head -c 10000 /dev/urandom >"$BERTH_TMP/noise"
	run "$BERTH" load -i "$BERTH_TMP/noise"
	[ "$status" -eq 1 ]
	[[ "$output" == *"berth: load:"* ]]
	run "$BERTH" load -i "$BERTH_TMP/missing.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"open $BERTH_TMP/missing.tar: No such file or directory"* ]]
	# a layer whose content does not match the config's diff_id
	python3 - "$IMGS/busybox.tar" "$BERTH_TMP/tampered.tar" <<'PY'
import json, sys, tarfile, io
src, dst = tarfile.open(sys.argv[1]), tarfile.open(sys.argv[2], "w")
for m in src.getmembers():
    data = src.extractfile(m).read() if m.isfile() else None
    if m.name.endswith(".json") and m.name != "manifest.json":
        c = json.loads(data); c["rootfs"]["diff_ids"][0] = "sha256:" + "0" * 64
        data = json.dumps(c).encode(); m.size = len(data)
    dst.addfile(m, io.BytesIO(data) if data is not None else None)
dst.close()
PY
	run "$BERTH" load -i "$BERTH_TMP/tampered.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"but the image config says diff_id sha256:0000"* ]]
	# a manifest.json naming a layer that is not there
	python3 - "$BERTH_TMP/nolayer.tar" <<'PY'
import json, sys, tarfile, io
t = tarfile.open(sys.argv[1], "w")
data = json.dumps([{"Config": "c.json", "RepoTags": ["x:1"], "Layers": ["nope/layer.tar"]}]).encode()
ti = tarfile.TarInfo("manifest.json"); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
ti = tarfile.TarInfo("c.json"); ti.size = 2; t.addfile(ti, io.BytesIO(b"{}"))
t.close()
PY
	run "$BERTH" load -i "$BERTH_TMP/nolayer.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Layers[0]: nope/layer.tar is not in the archive"* ]]
	[ "$(blobs) $(snapshots) $(refs)" = "$state" ]
}

@test "snapshots for containers: prepare gives lowers, upper and work; rmi refuses an image in use" {
	"$BERTH" load -q -i "$IMGS/multi-docker.tar" >/dev/null
	run rawframe "$BERTH_RUN/imaged.sock" prepare c1 berth-test/multi:1
	[ "$status" -eq 0 ]
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert len(d["lower"])==2 and d["upper"].endswith("active-c1/fs") and d["config"]["config"]["Cmd"]==["sh"], d' "$output"
	run rawframe "$BERTH_RUN/imaged.sock" prepare c1 berth-test/multi:1
	[ "$status" -eq 0 ]   # idempotent
	run "$BERTH" rmi berth-test/multi:1
	[ "$status" -eq 1 ]
	[[ "$output" == *"is in use by a container"* ]]
	run "$BERTH" image prune -a
	[[ "$output" == *"Total: 0 image(s) removed"* ]]
	run rawframe "$BERTH_RUN/imaged.sock" unprepare c1
	[ "$status" -eq 0 ]
	[ ! -e "$STORE/snapshots/active-c1" ]
	run "$BERTH" image prune -a
	[[ "$output" == *"Total: 1 image(s) removed"* ]]
	[ "$(snapshots | wc -l)" -eq 0 ]
	run rawframe "$BERTH_RUN/imaged.sock" prepare ../x berth-test/multi:1
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid snapshot key '../x'"* ]]
}

@test "kill -9 of imaged in the middle of a load: after a restart the store is consistent" {
	for round in 1 2 3; do
		{ head -c 700000 "$IMGS/multi-docker.tar"; sleep 3; tail -c +700001 "$IMGS/multi-docker.tar"; } |
			"$BERTH" load >/dev/null 2>&1 &
		loader=$!
		sleep 0.5
		kill -9 "$(daemon_pid imaged)"
		wait $loader || true
		"$BERTH" system start >/dev/null
		# nothing half made survives the restart
		[ -z "$(ls "$STORE/tmp")" ]
		[ -z "$(ls "$STORE/snapshots" | grep tmp-)" ]
		run "$BERTH" images --format json
		[ "$status" -eq 0 ]
	done
	run "$BERTH" load -q -i "$IMGS/multi-docker.tar"
	[ "$status" -eq 0 ]
	run rootfs_view docker.io/berth-test/multi:1 'cat added'
	[ "$output" = "added by layer 2" ]
}

@test "image command group and help" {
	for cmd in load images tag rmi history image; do
		run "$BERTH" $cmd --help
		[ "$status" -eq 0 ]
		[[ "${lines[0]}" == "Usage: berth $cmd"* ]]
	done
	"$BERTH" image load -q -i "$IMGS/busybox.tar"
	run "$BERTH" image ls -q
	[ "${#lines[@]}" -eq 1 ]
	run "$BERTH" image frob
	[ "$status" -eq 125 ]
	run "$BERTH" load
	[ "$status" -ne 0 ]
}

@test "save as docker-archive and OCI: skopeo and podman read them, berth loads them back" {
	"$BERTH" load -q -i "$IMGS/multi-docker.tar" >/dev/null
	"$BERTH" save -o "$BERTH_TMP/d.tar" berth-test/multi:1
	"$BERTH" save --format oci -o "$BERTH_TMP/o.tar" berth-test/multi:1
	first=$("$BERTH" image inspect berth-test/multi:1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["RootFS"]["Layers"][0])')
	run skopeo inspect "docker-archive:$BERTH_TMP/d.tar"
	[ "$status" -eq 0 ]
	[[ "$output" == *"$first"* ]]
	run skopeo inspect "oci-archive:$BERTH_TMP/o.tar"
	[ "$status" -eq 0 ]
	run pod load -i "$BERTH_TMP/d.tar"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Loaded image: "*"berth-test/multi:1"* ]]
	run pod load -i "$BERTH_TMP/o.tar"
	[ "$status" -eq 0 ]
	# and back: what skopeo writes, berth loads
	skopeo copy -q "oci-archive:$BERTH_TMP/o.tar" "docker-archive:$BERTH_TMP/sk.tar:skopeo/made:3"
	"$BERTH" rmi berth-test/multi:1 >/dev/null
	run "$BERTH" load -i "$BERTH_TMP/sk.tar"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Loaded image: skopeo/made:3"* ]]
	run "$BERTH" load -i "$BERTH_TMP/o.tar"
	[ "$status" -eq 0 ]
	run rootfs_view docker.io/skopeo/made:3 'cat added; ls opaque'
	[ "$output" = "added by layer 2
c" ]
	run "$BERTH" save -o "$BERTH_TMP/x.tar" nosuch:1
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such image: nosuch:1"* ]]
	run "$BERTH" save --format zip berth-test/multi:1
	[ "$status" -eq 125 ]
}

@test "import: a rootfs tarball becomes a one-layer image with the --change settings" {
	python3 -c 'import tarfile,sys; t=tarfile.open(sys.argv[1]); m=[x for x in t.getmembers() if x.name.endswith("layer.tar")][0]; sys.stdout.buffer.write(t.extractfile(m).read())' \
		"$IMGS/busybox.tar" | gzip >"$BERTH_TMP/rootfs.tgz"
	run "$BERTH" import -c 'CMD ["sh", "-c", "echo hi"]' -c 'ENV GREETING=hello' -c 'WORKDIR /tmp' \
		-c 'EXPOSE 8080' -m 'from a test' "$BERTH_TMP/rootfs.tgz" imported:1
	[ "$status" -eq 0 ]
	[[ "$output" =~ sha256:[0-9a-f]{64} ]]
	run "$BERTH" image inspect imported:1
	python3 -c 'import json,sys; d=json.loads(sys.argv[1])[0]; c=d["Config"]; assert c["Cmd"]==["sh","-c","echo hi"] and c["Env"]==["GREETING=hello"] and c["WorkingDir"]=="/tmp" and "8080/tcp" in c["ExposedPorts"] and len(d["RootFS"]["Layers"])==1, d' "$output"
	run "$BERTH" history imported:1
	[[ "$output" == *"berth import"*"from a test"* ]]
	run rootfs_view docker.io/library/imported:1 'head -n 1 etc/passwd'
	echo "$output"
	[ "${lines[0]}" = "root:x:0:0:root:/root:/bin/sh" ]
	cat "$BERTH_TMP/rootfs.tgz" | "$BERTH" import - imported:2 >/dev/null
	[ "$("$BERTH" images -q imported:2)" != "" ]
	run "$BERTH" import -c 'FROBNICATE x' "$BERTH_TMP/rootfs.tgz" bad:1
	[ "$status" -eq 1 ]
	[[ "$output" == *"unsupported instruction"* ]]
	[ -z "$("$BERTH" images -q bad:1)" ]
	# from a URL: imaged downloads it (a server on 127.0.0.1 that the test starts)
	python3 -u -m http.server --bind 127.0.0.1 --directory "$BERTH_TMP" 0 >"$BERTH_TMP/http.log" 2>&1 &
	track_pid $!
	for i in $(seq 100); do port=$(grep -o 'port [0-9]*' "$BERTH_TMP/http.log" | cut -d' ' -f2); [ -n "$port" ] && break; sleep 0.05; done
	run "$BERTH" import "http://127.0.0.1:$port/rootfs.tgz" fromweb:1
	[ "$status" -eq 0 ]
	layers() { "$BERTH" image inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["RootFS"]["Layers"])'; }
	[ "$(layers fromweb:1)" = "$(layers imported:2)" ]
	run "$BERTH" import "http://127.0.0.1:$port/missing.tgz" x:1
	[ "$status" -eq 1 ]
	[[ "$output" == *"HTTP status 404"* ]]
	run "$BERTH" import "ftp://127.0.0.1:$port/rootfs.tgz" x:1
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not an http(s) URL"* ]]
	[ -z "$("$BERTH" images -q x:1)" ]
}

@test "a full disk during load fails cleanly and leaves the store as it was" {
	"$BERTH" system stop >/dev/null
	# a new instance in another root: the first one's bridge must not stand in its way
	ip link del "$BERTH_BRIDGE" 2>/dev/null || true
	mkdir -p "$BERTH_TMP/small"
	mount -t tmpfs -o size=8m tmpfs "$BERTH_TMP/small"
	export BERTH_ROOT="$BERTH_TMP/small/root"
	"$BERTH" system start >/dev/null
	"$BERTH" load -q -i "$IMGS/busybox.tar" >/dev/null
	STORE="$BERTH_ROOT/image"
	state="$(blobs) $(snapshots) $(refs)"
	# an image with a 5 MB layer of its own does not fit any more
	python3 - "$BERTH_TMP/big.tar" <<'PY'
import hashlib, io, json, os, sys, tarfile
def add(t, n, d):
    ti = tarfile.TarInfo(n); ti.size = len(d); t.addfile(ti, io.BytesIO(d))
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as l:
    add(l, "big", os.urandom(5 << 20))
layer = buf.getvalue(); d = hashlib.sha256(layer).hexdigest()
cfg = json.dumps({"os": "linux", "architecture": "amd64", "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d]}}).encode()
t = tarfile.open(sys.argv[1], "w")
add(t, d + "/layer.tar", layer); add(t, "c.json", cfg)
add(t, "manifest.json", json.dumps([{"Config": "c.json", "RepoTags": ["big:1"], "Layers": [d + "/layer.tar"]}]).encode())
t.close()
PY
	run "$BERTH" load -i "$BERTH_TMP/big.tar"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"No space left on device"* ]]
	[ "$(blobs) $(snapshots) $(refs)" = "$state" ]
	[ -z "$(ls "$STORE/tmp")" ]
	run "$BERTH" images -q
	[ "${#lines[@]}" -eq 1 ]
	"$BERTH" system stop >/dev/null
	umount "$BERTH_TMP/small"
}

@test "documents of an unknown media type or schema 1 are refused naming the field" {
	python3 - "$BERTH_TMP/weird.tar" <<'PY'
import json, sys, tarfile, io, hashlib
def add(t, n, d):
    ti = tarfile.TarInfo(n); ti.size = len(d); t.addfile(ti, io.BytesIO(d))
cfg = b'{"rootfs":{"type":"layers","diff_ids":[]}}'
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
  "config": {"mediaType": "application/vnd.example.unknown+json", "digest": "sha256:" + hashlib.sha256(cfg).hexdigest(), "size": len(cfg)},
  "layers": []}).encode()
md = hashlib.sha256(man).hexdigest()
idx = json.dumps({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + md, "size": len(man)}]}).encode()
t = tarfile.open(sys.argv[1], "w")
add(t, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}'); add(t, "index.json", idx)
add(t, "blobs/sha256/" + md, man); add(t, "blobs/sha256/" + hashlib.sha256(cfg).hexdigest(), cfg)
t.close()
PY
	run "$BERTH" load -i "$BERTH_TMP/weird.tar"
	[ "$status" -eq 1 ]
	[[ "$output" == *"manifest.config.mediaType 'application/vnd.example.unknown+json' is not an image config"* ]]
	[ -z "$(blobs)" ]
}

@test "removing an image while a load runs never collects what the load is storing" {
	"$BERTH" load -q -i "$IMGS/busybox.tar" >/dev/null
	# multi-oci shares busybox's first layer snapshot; its archive arrives slowly
	{ head -c 300000 "$IMGS/multi-oci.tar"; sleep 2; tail -c +300001 "$IMGS/multi-oci.tar"; } |
		"$BERTH" load -q >"$BERTH_TMP/load.out" 2>&1 &
	loader=$!
	track_pid $loader
	sleep 0.5
	run "$BERTH" rmi berth-test/busybox
	[ "$status" -eq 0 ]
	[[ "$output" == *"Deleted:"* ]]
	wait $loader
	grep -q "Loaded image: localhost/berth-test/multi-oci:2" "$BERTH_TMP/load.out"
	run rootfs_view localhost/berth-test/multi-oci:2 'cat added; ls bin/busybox'
	[ "${lines[0]}" = "added by layer 2" ]
	# once nothing loads, the next removal collects everything unused
	"$BERTH" rmi localhost/berth-test/multi-oci:2 >/dev/null
	[ -z "$(blobs)" ]
	[ -z "$(snapshots)" ]
}
