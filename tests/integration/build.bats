#!/usr/bin/env bats
# berth build, commit and diff, against the real daemons: Dockerfiles from
# tests/fixtures/build built on a busybox image made at test time, the results
# run as containers, saved and read by skopeo and podman.

load helpers

bats_require_minimum_version 1.5.0

FIX="$SRC/tests/fixtures/build"

setup() {
	berth_setup
	python3 "$SRC/tests/fixtures/make-images.py" "$BERTH_TMP/images" "$BERTH_TMP/canary" >/dev/null
	"$BERTH" system start >/dev/null
	"$BERTH" load -q -i "$BERTH_TMP/images/busybox.tar" >/dev/null
}

teardown() {
	engine_teardown
}

b() { "$BERTH" "$@"; }

cfg() {
	b image inspect "$1" | python3 -c "import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; print($2)"
}

# a copy of a fixture context we may change
ctx() {
	cp -a "$FIX/$1" "$BERTH_TMP/$1"
	echo "$BERTH_TMP/$1"
}

@test "a multi-stage build: COPY --from, --chown/--chmod, USER, WORKDIR, ENV, LABEL, EXPOSE, CMD" {
	run -0 b build -t ms:1 "$FIX/multistage"
	[[ "$output" == *"[1/13] FROM \${BASE} AS builder"* ]]
	[[ "$output" == *"Successfully tagged ms:1"* ]]
	run -0 b run --rm ms:1
	[ "$output" = "built by stage one" ]
	run -0 b run --rm ms:1 sh -c 'id -u; id -g; pwd; stat -c "%u:%g %a" /home/app/app.sh; echo $GREETING'
	[ "${lines[0]}" = 1000 ]
	[ "${lines[1]}" = 1000 ]
	[ "${lines[2]}" = /srv ]
	[ "${lines[3]}" = "1000:1000 640" ]
	[ "${lines[4]}" = hello ]
	[ "$(cfg ms:1 'd["Config"]["Labels"]["org.berth.test"]')" = "multi stage" ]
	[ "$(cfg ms:1 'list(d["Config"]["ExposedPorts"])')" = "['8080/tcp']" ]
	# the first stage's files stay out of the result
	run -1 b run --rm ms:1 ls /src
	[ -z "$(b ps -aq)" ]
}

@test "heredocs in RUN and COPY; a quoted delimiter is not expanded" {
	run -0 b build -q -t hd "$FIX/heredoc"
	[[ "$output" == sha256:* ]]
	[ "${#lines[@]}" -eq 1 ]
	run -0 b run --rm hd
	[ "${lines[0]}" = "hello world" ]
	[ "${lines[1]}" = "name=demo" ]
	[ "${lines[2]}" = "port=80" ]
	run -0 b run --rm hd cat /opt/script.sh
	[ "$output" = 'echo "$NOT_EXPANDED"' ]
}

@test "ARG and ENV substitution: defaults, --build-arg, :- and :+, ARG before FROM" {
	run -0 b build -q -t ar --build-arg VERSION=2.5 --build-arg SECRET_ARG=s3 "$FIX/args"
	run -0 b run --rm ar sh -c 'cat build-info; pwd; echo "$APP_VERSION"; echo "${SECRET_ARG:-unset}"'
	[ "${lines[0]}" = "version=2.5 arg=s3" ]
	[ "${lines[1]}" = "/opt/my app" ]
	[ "${lines[2]}" = 2.5 ]
	# a build arg reaches RUN, never the image
	[ "${lines[3]}" = unset ]
	[ "$(cfg ar 'd["Config"]["Labels"]')" = "{'version': '2.5', 'empty': 'fallback', 'alt': 'has-version'}" ]
	run -0 b build -q -t ar2 "$FIX/args"
	run -0 b run --rm ar2 cat build-info
	[ "$output" = "version=1.0 arg=" ]
}

@test ".dockerignore keeps a secret out of the image; ! brings a file back" {
	run -0 b build -q -t ig "$FIX/ignore"
	run -0 b run --rm ig cat /listing
	[[ "$output" == *README* ]]
	[[ "$output" == *keep.tmp* ]]
	[[ "$output" == *public* ]]
	[[ "$output" != *secret.key* ]]
	[[ "$output" != *debug.tmp* ]]
	[[ "$output" != *private* ]]
	run -1 b run --rm ig cat /ctx/secret.key
}

@test "a rebuild hits the cache for every step; a changed source runs again" {
	local dir
	dir=$(ctx multistage)
	run -0 b build -q -t c1 "$dir"
	local first=$output
	run -0 b build -t c1 "$dir"
	[[ "$output" == *"COPY app.sh ./ CACHED"* ]]
	[[ "$output" == *"RUN chmod 755 app.sh && ./app.sh > /src/out.txt CACHED"* ]]
	[[ "$output" == *"COPY --from=builder /src/out.txt /srv/out.txt CACHED"* ]]
	run -0 b build -q -t c1 "$dir"
	[ "$output" = "$first" ]
	printf '#!/bin/sh\necho changed\n' >"$dir/app.sh"
	run -0 b build -t c1 "$dir"
	[[ "$output" != *"RUN chmod 755 app.sh && ./app.sh > /src/out.txt CACHED"* ]]
	run -0 b run --rm c1
	[ "$output" = changed ]
	# intermediate images stay out of the list, not out of images -a
	[ "$(b images -q | sort -u | wc -l)" -eq 2 ]
	[ "$(b images -aq | sort -u | wc -l)" -gt 2 ]
	run -0 b build --no-cache -t c1 "$dir"
	[[ "$output" != *CACHED* ]]
}

@test "the result is saved and read by skopeo and podman" {
	command -v skopeo >/dev/null || skip "skopeo not installed"
	run -0 b build -q -t saved:1 "$FIX/multistage"
	run -0 b save -o "$BERTH_TMP/saved.tar" saved:1
	run -0 skopeo inspect --config "docker-archive:$BERTH_TMP/saved.tar"
	echo "$output" | python3 -c 'import json,sys; d=json.load(sys.stdin)
assert d["config"]["Cmd"] == ["cat", "/srv/out.txt"], d["config"]
assert d["config"]["User"] == "1000:1000"
assert len(d["rootfs"]["diff_ids"]) == 3
assert any("COPY --from=builder" in h["created_by"] for h in d["history"])'
	command -v podman >/dev/null || skip "podman not installed"
	run -0 pod load -i "$BERTH_TMP/saved.tar"
	run -0 pod image inspect --format '{{.Config.WorkingDir}}' localhost/saved:1
	[ "$output" = /srv ]
}

@test "build - reads a Dockerfile from standard input" {
	run -0 b build -q -t stdin - <<<$'FROM berth-test/busybox\nRUN echo from-stdin > /f\nCMD ["cat","/f"]'
	run -0 b run --rm stdin
	[ "$output" = from-stdin ]
	# without -t the result is listed as a dangling image (its steps are not)
	run -0 b build -q - <<<$'FROM berth-test/busybox\nRUN echo untagged > /u'
	local id=${output#sha256:}
	run -0 b images
	[[ "$output" == *"<none>"*"${id:0:12}"* ]]
	[ "$(b images -q | wc -l)" -eq 3 ]
	# or the tar of a whole context (it holds NUL bytes)
	mkdir -p "$BERTH_TMP/sctx"
	echo in-the-tar >"$BERTH_TMP/sctx/f"
	printf 'FROM berth-test/busybox\nCOPY f /f\nCMD ["cat","/f"]\n' >"$BERTH_TMP/sctx/Dockerfile"
	run -0 bash -c "tar -C '$BERTH_TMP/sctx' -cf - . | '$BERTH' build -q -t stdintar -"
	run -0 b run --rm stdintar
	[ "$output" = in-the-tar ]
}

@test "errors name the file and line; nothing is left behind" {
	local dir=$BERTH_TMP/bad
	mkdir -p "$dir"
	echo x >"$dir/f"
	printf 'FROM berth-test/busybox\n\nRUN true\nRUNN false\n' >"$dir/Dockerfile"
	run -1 b build "$dir"
	[[ "$output" == *"Dockerfile:4: unknown instruction: RUNN"* ]]
	printf 'FROM berth-test/busybox\nCOPY ../../etc/passwd /x\n' >"$dir/Dockerfile"
	run -1 b build "$dir"
	[[ "$output" == *"Dockerfile:2: COPY: ../../etc/passwd is outside the build context"* ]]
	printf 'FROM berth-test/busybox\nCOPY --from=4 /bin/sh /x\n' >"$dir/Dockerfile"
	run -1 b build "$dir"
	[[ "$output" == *"Dockerfile:2: no stage 4 before this one"* ]]
	run -1 b build --target nope "$dir"
	[[ "$output" == *"target stage 'nope' not found"* ]]
	printf 'ARG V\nFROM berth-test/busybox:${V:?V must be set}\n' >"$dir/Dockerfile"
	run -1 b build "$dir"
	[[ "$output" == *"Dockerfile:2: V: V must be set"* ]]
	printf 'FROM berth-test/busybox\nRUN echo partial > /p; exit 3\n' >"$dir/Dockerfile"
	run -1 b build "$dir"
	[[ "$output" == *"Dockerfile:2: RUN echo partial > /p; exit 3: returned a non-zero code: 3"* ]]
	printf 'FROM berth-test/busybox\nADD http://example.invalid/x /x\n' >"$dir/Dockerfile"
	run -1 b build "$dir"
	[[ "$output" == *"does not download"* ]]
	# no step container is left, and no image was named
	[ -z "$(b ps -aq)" ]
	[ "$(b images -q | wc -l)" -eq 1 ]
}

@test "RUN steps are real containers: own pid namespace, network none when asked" {
	local dir=$BERTH_TMP/iso
	mkdir -p "$dir"
	printf 'FROM berth-test/busybox\nRUN echo $$ > /pid && ls /sys/class/net > /nets\n' >"$dir/Dockerfile"
	run -0 b build -q --network none -t iso "$dir"
	run -0 b run --rm iso cat /pid /nets
	[ "${lines[0]}" = 1 ]
	[ "${lines[1]}" = lo ]
	# the runtime's mount points (/proc, /etc/hosts) are not part of the layer
	run -0 b history iso
	[ "$(cfg iso 'len(d["RootFS"]["Layers"])')" = 2 ]
}

@test "commit makes an image of a container's changes; diff lists them" {
	b run -d --name c1 berth-test/busybox sh -c 'mkdir /data && echo x > /data/new && rm /bin/true && echo y >> /etc/passwd && sleep 100' >/dev/null
	for _ in $(seq 50); do b exec c1 test -f /data/new 2>/dev/null && break; sleep 0.1; done
	run -0 b diff c1
	[[ "$output" == *"A /data"* ]]
	[[ "$output" == *"A /data/new"* ]]
	[[ "$output" == *"D /bin/true"* ]]
	[[ "$output" == *"C /etc/passwd"* ]]
	[[ "$output" != *"/etc/hosts"* ]]
	[[ "$output" != *"A /proc"* ]]
	run -0 b commit -m snapshot -c 'CMD ["cat","/data/new"]' c1 snap:1
	[[ "$output" == sha256:* ]]
	# still running: commit paused it and let it go
	[ "$(b inspect c1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["State"]["Status"])')" = running ]
	run -0 b run --rm snap:1
	[ "$output" = x ]
	run -1 b run --rm snap:1 ls /bin/true
	run -0 b history snap:1
	[[ "$output" == *snapshot* ]]
	run -1 b commit nosuch
	[[ "$output" == *"no such container: nosuch"* ]]
	run -1 b diff nosuch
	run -1 b commit -c 'BOGUS x' c1
	[[ "$output" == *"unsupported instruction"* ]]
}

@test "cp both ways and export: Docker's naming rules, '-' as a tar stream" {
	b run -d --name cp1 berth-test/busybox sh -c 'mkdir -p /d/sub && echo in >/d/sub/f && echo top >/d/t && echo h >/d/.hidden && sleep 300' >/dev/null
	for _ in $(seq 50); do b exec cp1 test -f /d/t 2>/dev/null && break; sleep 0.1; done
	local out=$BERTH_TMP/out
	mkdir -p "$out"
	run -0 b cp cp1:/d "$out/"
	[ "$(cat "$out/d/sub/f")" = in ]
	[ -f "$out/d/.hidden" ]
	run -0 b cp cp1:/d/t "$out/renamed"
	[ "$(cat "$out/renamed")" = top ]
	run -0 b cp cp1:/d/. "$out/contents"
	[ "$(cat "$out/contents/t")" = top ]
	run -0 b cp cp1:/d/t -
	[ "$(b cp cp1:/d/t - | tar -xO)" = top ]
	mkdir -p "$BERTH_TMP/hostdir/inner"
	echo z >"$BERTH_TMP/hostdir/inner/z"
	chown 1234:1234 "$BERTH_TMP/hostdir/inner/z"
	run -0 b cp "$BERTH_TMP/hostdir" cp1:/newdir
	run -0 b exec cp1 stat -c '%u %n' /newdir/inner/z
	[ "$output" = "0 /newdir/inner/z" ]
	run -0 b cp "$BERTH_TMP/hostdir" cp1:/newdir
	run -0 b exec cp1 test -f /newdir/hostdir/inner/z
	tar -C "$BERTH_TMP/hostdir" -c inner | b cp - cp1:/tmp
	run -0 b exec cp1 cat /tmp/inner/z
	[ "$output" = z ]
	run -1 b cp "$BERTH_TMP/hostdir" cp1:/no/such/dir
	[[ "$output" == *"/no/such/dir"* ]]
	run -1 b cp cp1:/nope "$out/"
	[[ "$output" == *"/nope: No such file or directory"* ]]
	run -125 b cp a b
	run -0 b export -o "$BERTH_TMP/rootfs.tar" cp1
	tar -tf "$BERTH_TMP/rootfs.tar" | grep -qx './d/sub/f'
	tar -tf "$BERTH_TMP/rootfs.tar" | grep -qx './bin/sh'
}

@test "cp never reads or writes a host file through a symlink the container swaps in (CVE-2018-15664)" {
	cc -static -O2 -o "$BERTH_TMP/symswap" "$SRC/tests/fixtures/symswap.c"
	# a canary on the host where the swapped symlink would lead
	local canary=/berth-canary-$$
	echo host-secret >"$canary"
	b run -d --name sw -v "$BERTH_TMP/symswap:/symswap:ro" berth-test/busybox \
		sh -c 'mkdir -p /w/dir && echo inside >/w/dir/berth-canary-'$$' && ln -s / /w/link && cd /w && exec /symswap dir link' >/dev/null
	for _ in $(seq 50); do b exec sw test -L /w/link -o -L /w/dir 2>/dev/null && break; sleep 0.1; done
	local i got
	for i in $(seq 40); do
		got=$(b cp "sw:/w/dir/berth-canary-$$" - 2>/dev/null | tar -xO 2>/dev/null) || true
		[ "$got" != host-secret ] || { rm -f "$canary"; false; }
		echo "written-$i" >"$BERTH_TMP/payload"
		b cp "$BERTH_TMP/payload" "sw:/w/dir/berth-canary-$$" 2>/dev/null || true
	done
	run cat "$canary"
	rm -f "$canary"
	[ "$output" = host-secret ]
	b rm -f sw >/dev/null
}

@test "cp goes through the container's volumes and bind mounts; a read-only one refuses; export leaves them out" {
	mkdir -p "$BERTH_TMP/hostbind"
	echo from-the-host >"$BERTH_TMP/hostbind/f"
	b run -d --name vc -v cpvol$$:/data -v "$BERTH_TMP/hostbind:/ro:ro" berth-test/busybox \
		sh -c 'echo in-the-volume >/data/v; sleep 100' >/dev/null
	for _ in $(seq 50); do b exec vc test -f /data/v && break; sleep 0.1; done
	[ "$(b cp vc:/data/v - | tar -xO)" = in-the-volume ]
	[ "$(b cp vc:/ro/f - | tar -xO)" = from-the-host ]
	# the files berth binds: the container's own hostname, not the image's empty file
	[ "$(b cp vc:/etc/hostname - | tar -xO)" = "$(b exec vc cat /etc/hostname)" ]
	echo copied-in >"$BERTH_TMP/in"
	b cp "$BERTH_TMP/in" vc:/data/in
	[ "$(b exec vc cat /data/in)" = copied-in ]
	run -1 b cp "$BERTH_TMP/in" vc:/ro/
	[[ "$output" == *"/ro/ is on a read-only mount"* ]]
	[ ! -e "$BERTH_TMP/hostbind/in" ]
	# --read-only: its root refuses, its volume does not
	b run -d --name rc --read-only -v cpvol$$:/data berth-test/busybox sleep 100 >/dev/null
	run -1 b cp "$BERTH_TMP/in" rc:/etc/
	[[ "$output" == *"/etc/ is on a read-only mount"* ]]
	b cp "$BERTH_TMP/in" rc:/data/in2
	[ "$(b exec rc cat /data/in2)" = copied-in ]
	b rm -f rc >/dev/null
	# export is the container's own filesystem: no volume content
	! b export vc | tar -t | grep -q 'data/v'
	# a stopped container: its root and volumes are mounted for the copy, and not after it
	b stop -t 0 vc >/dev/null
	[ "$(b cp vc:/data/in - | tar -xO)" = copied-in ]
	b export vc | tar -t | grep -qx './bin/sh'
	# a reader that stops at once must not leave the export (and its worker) hanging
	local t0=$SECONDS
	timeout 60 "$BERTH" export vc | head -c 1 >/dev/null
	[ $((SECONDS - t0)) -lt 30 ]
	! grep -q "containers/$(b inspect -f '{{.Id}}' vc)/rootfs" /proc/mounts
	b rm -f vc >/dev/null
	b volume rm cpvol$$ >/dev/null
}

@test "cp into a created container before its first start, and out of it after it exited" {
	echo setting=42 >"$BERTH_TMP/app.conf"
	echo seed-data >"$BERTH_TMP/seed"
	b create --name cc -v ccvol$$:/data berth-test/busybox sh -c 'cat /etc/app.conf /data/seed; echo made >/out' >/dev/null
	b cp "$BERTH_TMP/app.conf" cc:/etc/app.conf
	b cp "$BERTH_TMP/seed" cc:/data/seed
	id=$(b inspect -f '{{.Id}}' cc)
	! grep -q "containers/$id/rootfs" /proc/mounts
	run b start -a cc
	[ "$status" -eq 0 ]
	[ "$output" = "setting=42
seed-data" ]
	[ "$(b cp cc:/out - | tar -xO)" = made ]
	# while a copy holds the root mounted, a start waits its turn: refused, then fine
	rawframe "$BERTH_RUN/containerd.sock" mount-hold "$id" 3 >"$BERTH_TMP/hold" &
	local holder=$!
	for _ in $(seq 50); do grep -q held "$BERTH_TMP/hold" && break; sleep 0.1; done
	run b start cc
	[ "$status" -ne 0 ]
	[[ "$output" == *"being copied to or from"* ]]
	wait "$holder"
	for _ in $(seq 50); do grep -q "containers/$id/rootfs" /proc/mounts || break; sleep 0.1; done
	! grep -q "containers/$id/rootfs" /proc/mounts
	b start cc >/dev/null
	b rm -f cc >/dev/null
	b volume rm ccvol$$ >/dev/null
}

@test "ONBUILD triggers, ADD of a local archive, SHELL, VOLUME, STOPSIGNAL, HEALTHCHECK, ENTRYPOINT" {
	run -0 b build -q -t feat-base -f "$FIX/features/Dockerfile.base" "$FIX/features"
	[ "$(cfg feat-base 'len(d["Config"]["OnBuild"])')" = 2 ]
	run -0 b build -t feat "$FIX/features"
	[[ "$output" == *"ONBUILD RUN echo"* ]]
	run -0 b run --rm feat
	[ "$output" = "onbuild ran" ]
	run -0 b run --rm feat 'cat /opt/payload/d/a.txt /opt/payload/b.txt; cat /shell.txt; echo $FROM_ONBUILD'
	[ "${lines[0]}" = a ]
	[ "${lines[1]}" = b ]
	[ "${lines[2]}" = "shell: /bin/sh" ]
	[ "${lines[3]}" = yes ]
	[ "$(cfg feat 'sorted(d["Config"]["Volumes"])')" = "['/cache', '/data']" ]
	[ "$(cfg feat 'd["Config"]["StopSignal"]')" = SIGTERM ]
	[ "$(cfg feat 'd["Config"]["Healthcheck"]["Test"]')" = "['CMD', 'true']" ]
	[ "$(cfg feat 'd["Config"]["Healthcheck"]["Interval"]')" = 30000000000 ]
	[ "$(cfg feat 'd["Config"]["Shell"]')" = "['/bin/sh', '-e', '-c']" ]
	# the triggers ran once: the child does not carry them on
	[ "$(cfg feat 'd["Config"].get("OnBuild")')" = None ]
}

@test "Ctrl-C during a RUN step: the step's container is removed, the build stops" {
	local dir=$BERTH_TMP/slow
	mkdir -p "$dir"
	printf 'FROM berth-test/busybox\nRUN echo started; sleep 60\n' >"$dir/Dockerfile"
	"$BERTH" build "$dir" >"$BERTH_TMP/build.out" 2>&1 &
	local pid=$!
	track_pid $pid
	for _ in $(seq 100); do grep -q started "$BERTH_TMP/build.out" && break; sleep 0.1; done
	kill -INT $pid
	local st=0
	wait $pid || st=$?
	[ "$st" -eq 130 ]
	grep -q "build interrupted" "$BERTH_TMP/build.out"
	[ -z "$(b ps -aq)" ]
}
