#!/usr/bin/env bats
# berth-apid, the Docker Engine API: the real docker CLI and Debian's
# python3-docker drive berth through $BERTH_RUN/docker.sock.

load helpers

bats_require_minimum_version 1.5.0

setup_file() {
	# apid runs as a member of the socket group: this file's own
	export APID_GROUP="bapi$$"
	groupadd --system "$APID_GROUP"
}

teardown_file() {
	groupdel "$APID_GROUP" 2>/dev/null || true
}

setup() {
	berth_setup
	export DOCKER_HOST="unix://$BERTH_RUN/docker.sock" DOCKER_CONFIG="$BERTH_TMP/docker-config"
	unset DOCKER_API_VERSION DOCKER_CONTEXT
	python3 "$SRC/tests/fixtures/make-images.py" "$BERTH_TMP/images" "$BERTH_TMP/canary" >/dev/null
	"$BERTH" system start --group "$APID_GROUP" >/dev/null
	"$BERTH" load -q -i "$BERTH_TMP/images/busybox.tar" >/dev/null
	IMG=berth-test/busybox
}

teardown() {
	engine_teardown
}

# The docker CLI 28 this host has in /usr/local/bin (Debian's docker.io is 20.10).
need_docker() {
	command -v docker >/dev/null || skip "the docker CLI is not installed"
}

# A raw HTTP exchange on the socket: prints the status line and the body.
raw() {
	python3 - "$BERTH_RUN/docker.sock" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
s.settimeout(10)
data = b""
while True:
    try:
        chunk = s.recv(65536)
    except socket.timeout:
        break
    if not chunk:
        break
    data += chunk
head, _, body = data.partition(b"\r\n\r\n")
print(head.split(b"\r\n")[0].decode())
print(body.decode(errors="replace"))
PY
}

@test "apid holds no privilege: its own uid, group berth only, no capabilities, no_new_privs, seccomp" {
	pid=$(cat "$BERTH_RUN/berth-apid.pid")
	[ "$(readlink "/proc/$pid/exe")" = "$BUILD/berth-apid" ]
	gid=$(getent group "$APID_GROUP" | cut -d: -f3)
	status_of() { awk -v k="$1:" '$1 == k {print $2, $3, $4, $5}' "/proc/$pid/status"; }
	read -r ruid euid _ <<<"$(status_of Uid)"
	[ "$ruid" != 0 ] && [ "$euid" != 0 ]
	[ "$(status_of Gid)" = "$gid $gid $gid $gid" ]
	# no supplementary group: its own gid is its only one
	[ -z "$(awk '$1 == "Groups:" {print $2}' "/proc/$pid/status")" ]
	grep -q '^CapEff:	0000000000000000' "/proc/$pid/status"
	grep -q '^CapPrm:	0000000000000000' "/proc/$pid/status"
	grep -q '^CapBnd:	0000000000000000' "/proc/$pid/status"
	grep -q '^NoNewPrivs:	1' "/proc/$pid/status"
	grep -q '^Seccomp:	2' "/proc/$pid/status"
	[ "$(stat -c '%a %U %G' "$BERTH_RUN/docker.sock")" = "660 root $APID_GROUP" ]
	grep -q "running as uid $ruid gid $gid; kept capabilities: none; no_new_privs: yes; seccomp: filter" \
		"$BERTH_ROOT/log/berth-apid.log"
	run -0 "$BERTH" system status
	[[ "$output" == *"berth-apid"*"running"*"docker.sock"* ]]
	run -0 "$BERTH" system stop
	[[ "$output" == *"berth-apid stopped"* ]]
	[ ! -e "$BERTH_RUN/docker.sock" ]
}

@test "version and ping: API 1.45, negotiation down to what the client asks, a version too new refused" {
	need_docker
	run -0 docker version --format '{{.Server.APIVersion}} {{.Server.Os}}'
	[ "$output" = "1.45 linux" ]
	run -0 env DOCKER_API_VERSION=1.41 docker version --format '{{.Client.APIVersion}}'
	[ "$output" = 1.41 ]
	run -0 raw 'GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	[ "${lines[0]}" = "HTTP/1.1 200 OK" ]
	[ "${lines[1]}" = OK ]
	run -0 raw 'GET /v9.99/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	[ "${lines[0]}" = "HTTP/1.1 400 Bad Request" ]
	[[ "$output" == *"client version 9.99 is too new. Maximum supported API version is 1.45"* ]]
	run -0 docker info --format '{{.Images}} {{.Driver}}'
	[ "$output" = "1 overlay2" ]
}

@test "docker run: output, the exit code, stdin, --rm leaves nothing; start -a runs an exited one again" {
	need_docker
	run -0 docker run --rm "$IMG" echo hello from docker
	[ "$output" = "hello from docker" ]
	run -7 docker run --rm "$IMG" sh -c 'echo out; echo err >&2; exit 7'
	[[ "$output" == *out* ]] && [[ "$output" == *err* ]]
	run -0 bash -c "printf 'piped in\n' | docker run --rm -i $IMG cat"
	[ "$output" = "piped in" ]
	[ -z "$(docker ps -aq)" ]
	[ -z "$("$BERTH" ps -aq)" ]
	# the pid namespace is the container's own
	run -0 docker run --rm "$IMG" sh -c 'echo $$'
	[ "$output" = 1 ]
	# start -a of an exited container (compose's up does the same): the attach waits for the
	# start and gets that run's output and code
	docker run --name again "$IMG" sh -c 'echo once more; exit 4' >/dev/null || true
	run -4 timeout 30 docker start -a again
	[ "$output" = "once more" ]
	docker rm again >/dev/null
}

@test "docker run -d -p, ps, logs -f, exec, inspect, stop, rm" {
	need_docker
	run -0 docker run -d --name web -p 127.0.0.1:18301:80 "$IMG" \
		sh -c 'echo served >/tmp/index.html; echo up; httpd -f -p 80 -h /tmp'
	id=$output
	[ ${#id} -eq 64 ]
	for _ in $(seq 50); do curl -fs http://127.0.0.1:18301/index.html >/dev/null && break; sleep 0.1; done
	[ "$(curl -fs http://127.0.0.1:18301/index.html)" = served ]
	run -0 docker ps --format '{{.Names}} {{.Status}} {{.Ports}}'
	[[ "$output" == "web Up "*"127.0.0.1:18301->80/tcp" ]]
	run -0 docker logs web
	[ "$output" = up ]
	run -0 docker exec web cat /tmp/index.html
	[ "$output" = served ]
	run -3 docker exec web sh -c 'exit 3'
	run -0 bash -c "echo via-stdin | docker exec -i web cat"
	[ "$output" = via-stdin ]
	# an exec that cannot start says why in its stream and exits 126 (-d: the error itself)
	run -126 docker exec -u nobody web id
	[[ "$output" == *"unable to find user nobody: no matching entries in the image's /etc/passwd"* ]]
	run -1 docker exec -d -u nobody web id
	[[ "$output" == *"unable to find user nobody"* ]]
	run -127 docker exec web nonexistent
	[[ "$output" == *"executable file not found in \$PATH"* ]]
	# docker top: ps -ef's columns, the container's processes only; other ps options refused
	run -0 docker top web
	[[ "${lines[0]}" == *UID*PID*PPID*CMD* ]] || { echo "$output"; false; }
	[[ "$output" == *httpd* ]] && [ "${#lines[@]}" -le 3 ]
	# a detached exec: its process is listed, the relay that waits for it is not
	docker exec -d web sleep 77
	run -0 docker top web
	[[ "$output" == *"sleep 77"* && "$output" != *berth-shim* ]] && [ "${#lines[@]}" -le 4 ]
	run -0 "$BERTH" top web
	[[ "$output" == *"sleep 77"* && "$output" != *berth-shim* ]]
	run -1 docker top web -o pid,comm
	[[ "$output" == *"ps options '-o pid,comm' are not supported"* ]]
	[ "$(docker inspect -f '{{.State.Status}} {{.Id}}' web)" = "running $id" ]
	# starting what runs changes nothing: Docker's 304, and the CLI is content
	run -0 raw "POST /v1.45/containers/web/start HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
	[ "${lines[0]}" = "HTTP/1.1 304 Not Modified" ]
	run -0 docker start web
	# logs -f follows until the container stops
	docker logs -f web >"$BERTH_TMP/follow.out" 2>&1 &
	follow=$!
	track_pid $follow
	sleep 0.3
	docker exec web sh -c 'echo later >/proc/1/fd/1'
	run -0 docker stop -t 1 web
	for _ in $(seq 50); do kill -0 $follow 2>/dev/null || break; sleep 0.1; done
	! kill -0 $follow 2>/dev/null
	[ "$(cat "$BERTH_TMP/follow.out")" = "$(printf 'up\nlater')" ]
	[ "$(docker inspect -f '{{.State.Status}}' web)" = exited ]
	run -0 raw "POST /v1.45/containers/web/stop HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
	[ "${lines[0]}" = "HTTP/1.1 304 Not Modified" ]
	run -0 docker stop web
	run -0 docker ps -a --format '{{.Names}} {{.Status}}'
	[[ "$output" == "web Exited ("* ]]
	run -0 docker rm web
	[ -z "$(docker ps -aq)" ]
}

@test "logs give back the very bytes written: escapes, control bytes, UTF-8, a 100 KiB line, stderr apart" {
	need_docker
	python3 - "$BERTH_TMP/out.bin" "$BERTH_TMP/err.bin" <<'PY'
import sys
out = b'tab\there "quoted" back\\slash\r\n\x01\x1b[1m\xc3\xa9\x7f /slash\n' + b"x" * 100000 + b"\nlast"
open(sys.argv[1], "wb").write(out)
open(sys.argv[2], "wb").write(b"to stderr\n")
PY
	id=$("$BERTH" run -d -v "$BERTH_TMP:/in:ro" "$IMG" sh -c 'cat /in/out.bin; cat /in/err.bin >&2')
	"$BERTH" wait "$id" >/dev/null
	"$BERTH" logs "$id" 2>/dev/null >"$BERTH_TMP/berth.out"
	cmp "$BERTH_TMP/out.bin" "$BERTH_TMP/berth.out"
	docker logs "$id" 2>"$BERTH_TMP/docker.err" >"$BERTH_TMP/docker.out"
	cmp "$BERTH_TMP/out.bin" "$BERTH_TMP/docker.out"
	cmp "$BERTH_TMP/err.bin" "$BERTH_TMP/docker.err"
	run -0 docker logs --tail 1 "$id"
	[ "$output" = "to stderr" ] || [ "$output" = last ]
	docker rm "$id" >/dev/null
}

@test "docker run --log-opt: Docker's sizes (16k, 1m) rotate the log; --log-driver none keeps nothing; other drivers and options are refused, nothing made" {
	need_docker
	id=$(docker run -d --log-driver json-file --log-opt max-size=16k --log-opt max-file=2 "$IMG" sh -c \
		'i=0; while [ $i -lt 2000 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done')
	docker wait "$id" >/dev/null
	logs=("$BERTH_ROOT/containers/$id/$id-json.log"*)
	[ "${#logs[@]}" -eq 2 ]
	for f in "${logs[@]}"; do [ "$(stat -c %s "$f")" -le 16384 ]; done
	[ "$(docker logs --tail 1 "$id")" = line-1999-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx ]
	[ "$(docker inspect -f '{{index .HostConfig.LogConfig.Config "max-size"}}' "$id")" = 16k ]
	run -0 docker run --rm --log-opt max-size=1m "$IMG" echo fine
	[ "$output" = fine ]
	# none: the attached client sees the output, nothing is kept, logs says so
	run -0 docker run --rm --log-driver none "$IMG" echo attached
	[ "$output" = attached ]
	docker run -d --name nolog --log-driver none "$IMG" sh -c 'echo hidden; sleep 100' >/dev/null
	run -1 docker logs nolog
	[[ "$output" == *"configured logging driver does not support reading"* ]]
	run -1 "$BERTH" logs nolog
	[[ "$output" == *"container nolog has no logs: its log driver is none"* ]]
	nid=$(docker inspect -f '{{.Id}}' nolog)
	[ -z "$(ls "$BERTH_ROOT/containers/$nid" | grep json.log)" ]
	docker rm -f nolog >/dev/null
	run -0 "$BERTH" run --rm --log-driver none "$IMG" echo berth-attached
	[ "$output" = berth-attached ]
	run -125 "$BERTH" run --rm --log-driver none --log-opt max-size=1m "$IMG" true
	[[ "$output" == *"unknown log opt 'max-size' for the none log driver"* ]]
	for bad in "--log-driver syslog|log driver 'syslog' is not supported: berth logs in json-file, or not at all (none)" \
		"--log-opt max-size=12q|invalid --log-opt max-size=12q: a size of at least 4096 bytes" \
		"--log-opt max-file=3x|invalid --log-opt max-file=3x: 1 to 100" \
		"--log-opt compress=true|unknown log opt 'compress' for the json-file log driver"; do
		refused 125 "${bad#*|}" docker run --rm ${bad%%|*} "$IMG" true
	done
	[ "$(docker ps -aq | wc -l)" -eq 1 ]
	docker rm "$id" >/dev/null
}

@test "docker run's resource, process and security options reach the container; what berth lacks is refused naming it" {
	need_docker
	disk=/dev/$(lsblk -dno NAME,TYPE | awk '$2 == "disk" {print $1; exit}')
	if [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
		id=$(docker run -d --cpu-period 50000 --cpu-quota 25000 -m 128m --memory-reservation 32m \
			--memory-swappiness 10 --oom-kill-disable --cpuset-mems 0 --device-read-bps "$disk:1mb" \
			--oom-score-adj 300 --group-add 4242 --device-cgroup-rule 'c 1:9 rwm' "$IMG" sleep 1000)
		cg() { cat "/sys/fs/cgroup/$1/berth/$id/$2"; }
		[ "$(cg cpu cpu.cfs_period_us) $(cg cpu cpu.cfs_quota_us)" = "50000 25000" ]
		[ "$(cg memory memory.soft_limit_in_bytes)" = 33554432 ]
		[ "$(cg memory memory.swappiness)" = 10 ]
		grep -qx "oom_kill_disable 1" "/sys/fs/cgroup/memory/berth/$id/memory.oom_control"
		[ "$(cg cpuset cpuset.mems)" = 0 ]
		[ "$(cg blkio blkio.throttle.read_bps_device)" = "$(lsblk -dno MAJ:MIN "$disk" | tr -d ' ') 1048576" ]
		grep -qx "c 1:9 rwm" "/sys/fs/cgroup/devices/berth/$id/devices.list"
	else
		id=$(docker run -d --cpu-period 50000 --cpu-quota 25000 -m 128m --memory-reservation 32m \
			--oom-score-adj 300 --group-add 4242 "$IMG" sleep 1000)
		[ "$(cat "/sys/fs/cgroup/berth/$id/cpu.max")" = "25000 50000" ]
		[ "$(cat "/sys/fs/cgroup/berth/$id/memory.low")" = 33554432 ]
	fi
	[ "$(docker exec "$id" cat /proc/1/oom_score_adj)" = 300 ]
	[[ "$(docker exec "$id" id)" == *"groups="*4242* ]]
	docker rm -f "$id" >/dev/null
	# --volumes-from: the other's volumes and binds at their paths, :ro when asked
	docker run -d --name vsrc -v vkeep:/data -v "$BERTH_TMP:/host:ro" "$IMG" sleep 1000 >/dev/null
	docker exec vsrc sh -c 'echo shared >/data/f'
	run -0 docker run --rm --volumes-from vsrc "$IMG" sh -c 'cat /data/f; ls -d /host; echo w >/data/g'
	[ "$output" = "shared
/host" ]
	run docker run --rm --volumes-from vsrc:ro "$IMG" sh -c 'echo x >/data/h'
	[[ "$output" == *"Read-only file system"* ]]
	# --cgroupns host shares the host's; systempaths=unconfined unmasks /proc
	[ "$(docker run --rm --cgroupns host "$IMG" stat -L -c %i /proc/self/ns/cgroup)" = "$(stat -L -c %i /proc/self/ns/cgroup)" ]
	[ "$(docker run --rm "$IMG" stat -L -c %i /proc/self/ns/cgroup)" != "$(stat -L -c %i /proc/self/ns/cgroup)" ]
	[ "$(docker run --rm "$IMG" sh -c 'cat /proc/timer_list | wc -c')" = 0 ]
	[ "$(docker run --rm --security-opt systempaths=unconfined "$IMG" sh -c 'cat /proc/timer_list | wc -c')" != 0 ]
	run -0 docker run --rm --security-opt apparmor=unconfined --security-opt label=disable "$IMG" echo fine
	run -0 docker run --rm --hostname h1 --domainname example.org "$IMG" sh -c 'hostname; cat /proc/sys/kernel/domainname; tail -1 /etc/hosts'
	[[ "$output" =~ ^"h1
example.org
"[0-9.]+"	h1.example.org h1"$ ]]
	before=$(docker ps -aq | wc -l)
	for bad in "--runtime foo|unknown or invalid runtime name: foo" \
		"--gpus all|--gpus and other device requests are not supported" \
		"--storage-opt size=1G|--storage-opt is not supported" \
		"--isolation hyperv|invalid --isolation 'hyperv'" \
		"--link nosuch:s|invalid --link nosuch:s: no such container: nosuch" \
		"--network host --link vsrc:s|--link vsrc:s needs a network" \
		"--cpus 1 --cpu-quota 5000|--cpus and --cpu-period/--cpu-quota cannot both be set" \
		"--cpu-period 10|invalid --cpu-period 10: 1000 to 1000000" \
		"-m 128m --memory-reservation 1g|invalid --memory-reservation: it must be below --memory" \
		"--oom-score-adj 2000|invalid --oom-score-adj 2000: -1000 to 1000" \
		"--device-read-bps /dev/null:1mb|invalid --device-read-bps /dev/null: not a block device" \
		"--blkio-weight 5|invalid --blkio-weight 5: 10 to 1000" \
		"--security-opt apparmor=docker-default|berth applies no AppArmor profile" \
		"--volumes-from nosuch|invalid --volumes-from nosuch: no such container" \
		"--volumes-from vsrc:rx|invalid --volumes-from vsrc:rx: the mode is ro or rw" \
		"--hostname $(printf 'h%.0s' $(seq 65))|invalid --hostname" \
		"--domainname -bad|invalid --domainname '-bad'"; do
		refused 125 "${bad#*|}" docker run --rm ${bad%%|*} "$IMG" true
	done
	[ "$(docker ps -aq | wc -l)" -eq "$before" ]
	docker rm -f vsrc >/dev/null
}

@test "docker cp both ways, into a stopped container too; docker export; missing paths and non-directories refused" {
	need_docker
	docker run -d --name cpc "$IMG" sleep 1000 >/dev/null
	mkdir -p "$BERTH_TMP/out" "$BERTH_TMP/in/sub"
	echo deep >"$BERTH_TMP/in/sub/f"
	echo one >"$BERTH_TMP/one.txt"
	# out of the container: a file under a new name, a directory into one
	run -0 docker cp cpc:/etc/hostname "$BERTH_TMP/out/h"
	[ "$(cat "$BERTH_TMP/out/h")" = "$(docker exec cpc cat /etc/hostname)" ]
	run -0 docker cp cpc:/etc "$BERTH_TMP/out/"
	[ -f "$BERTH_TMP/out/etc/passwd" ]
	run -0 bash -c "docker cp cpc:/etc/hostname - | tar t"
	[ "$output" = hostname ]
	# into it: a file, a file under a new name, a directory
	run -0 docker cp "$BERTH_TMP/one.txt" cpc:/tmp/
	run -0 docker cp "$BERTH_TMP/one.txt" cpc:/tmp/renamed
	run -0 docker cp "$BERTH_TMP/in" cpc:/tmp/
	run -0 docker exec cpc cat /tmp/one.txt /tmp/renamed /tmp/in/sub/f
	[ "$output" = "one
one
deep" ]
	# the stat the CLI asks for first (HEAD), Go's FileMode for a directory
	run -0 curl -sfI --unix-socket "$BERTH_RUN/docker.sock" "http://x/v1.45/containers/cpc/archive?path=/etc"
	stat=$(sed -n 's/^X-Docker-Container-Path-Stat: \(.*\)\r$/\1/p' <<<"$output" | base64 -d)
	[[ "$stat" == *'"name":"etc"'* && "$stat" == *'"mode":2147484141'* ]]
	# what is not there, and a file where a directory must be
	run -1 docker cp cpc:/nonexistent "$BERTH_TMP/out/"
	[[ "$output" == *"Could not find the file /nonexistent in container cpc"* ]]
	run -1 docker cp "$BERTH_TMP/one.txt" cpc:/nodir/x
	[[ "$output" == *"Could not find the file /nodir in container cpc"* ]]
	run -1 docker cp "$BERTH_TMP/one.txt" cpc:/etc/hostname/x
	[[ "$output" == *"not a directory"* ]]
	run -0 curl -s -w '%{http_code}' --unix-socket "$BERTH_RUN/docker.sock" -XPUT "http://x/v1.45/containers/cpc/archive?path=/tmp"
	[[ "$output" == *"the body must be a tar archive"*400 ]]
	# a stopped container: its root is mounted for the copy
	docker stop -t 1 cpc >/dev/null
	run -0 docker cp "$BERTH_TMP/one.txt" cpc:/tmp/after-stop
	run -0 docker cp cpc:/tmp/after-stop "$BERTH_TMP/out/after-stop"
	[ "$(cat "$BERTH_TMP/out/after-stop")" = one ]
	# export: the container's own files, no volume
	run -0 bash -c "docker export cpc | tar t"
	[[ "$output" == *"./tmp/after-stop"* && "$output" == *"./bin/busybox"* ]]
	docker rm cpc >/dev/null
}

@test "docker events: live, replayed with since/until and filters (label, event, container); the stream ends with its client" {
	need_docker
	timeout 6 docker events --filter type=container --format '{{.Type}} {{.Action}} {{.Actor.Attributes.name}}' >"$BERTH_TMP/ev" 2>&1 &
	track_pid $!
	sleep 0.5
	docker run --rm --name evx --label team=blue "$IMG" sh -c 'exit 3' || true
	docker run --rm --name evy "$IMG" true
	for _ in $(seq 60); do grep -q "destroy evy" "$BERTH_TMP/ev" && break; sleep 0.1; done
	[ "$(cat "$BERTH_TMP/ev")" = "container create evx
container start evx
container die evx
container destroy evx
container create evy
container start evy
container die evy
container destroy evy" ]
	# the CLI sends whole seconds: "until now" ends at the start of this second
	sleep 1.1
	run -0 docker events --since 1m --until 0s --filter label=team=blue --filter event=die \
		--format '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}} {{.TimeNano}}'
	[[ "$output" =~ ^"die evx 3 "[0-9]{19}$ ]]
	run -0 docker events --since 1m --until 0s --filter container=evy --format '{{.Action}}'
	[ "$(echo $output)" = "create start die destroy" ]
	# since=0 (the SDKs send it): every event kept, not "from now"
	[ "$(curl -s --unix-socket "$BERTH_RUN/docker.sock" "http://x/v1.45/events?since=0&until=$(date +%s)" | grep -c '"Type":"container","Action":"destroy"')" = 2 ]
	[ "$("$BERTH" events --since 0 --until 0s --filter type=container | grep -c ' destroy ')" = 2 ]
	# images, networks and volumes have theirs, from imaged, netd and containerd
	docker tag "$IMG" evtag:1
	docker rmi evtag:1 >/dev/null
	docker network create evnet >/dev/null
	docker run --rm --network evnet -v evvol:/x "$IMG" true
	docker network rm evnet >/dev/null
	docker volume rm evvol >/dev/null
	sleep 1.1
	[ "$(docker events --since 1m --until 0s --filter image=evtag:1 --format '{{.Type}} {{.Action}}' | xargs)" = "image tag image untag" ]
	[ "$(docker events --since 1m --until 0s --filter network=evnet --format '{{.Action}}' | xargs)" = "create connect disconnect destroy" ]
	[ "$(docker events --since 1m --until 0s --filter volume=evvol --format '{{.Action}}' | xargs)" = "create destroy" ]
	run -0 docker events --since 1m --until 0s --filter network=evnet --filter event=connect \
		--format '{{.Actor.Attributes.container}}'
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	[ "$("$BERTH" events --since 1m --until 0s --filter volume=evvol | grep -c ' volume ')" = 2 ]
	run -1 docker events --until 0s --filter bogus=1
	[[ "$output" == *"invalid filter 'bogus=1'"* ]]
	# the live stream's client is gone (timeout): apid's thread for it ends too
	pid=$(cat "$BERTH_RUN/berth-apid.pid")
	for _ in $(seq 50); do [ "$(ls /proc/$pid/task | wc -l)" -eq 1 ] && break; sleep 0.2; done
	[ "$(ls /proc/$pid/task | wc -l)" -eq 1 ]
}

@test "docker save and load, by name and through a pipe; images by reference and dangling; bad archives refused" {
	need_docker
	docker tag "$IMG" saved/one:1
	run -0 docker save -o "$BERTH_TMP/one.tar" saved/one:1
	run -0 tar tf "$BERTH_TMP/one.tar"
	[[ "$output" == *manifest.json* ]]
	docker rmi saved/one:1 >/dev/null
	run -0 docker load -i "$BERTH_TMP/one.tar"
	[ "$output" = "Loaded image: saved/one:1" ]
	run -0 bash -c "docker save saved/one:1 | docker load -q"
	[ "$output" = "Loaded image: saved/one:1" ]
	# images NAME: only the matching tags; dangling
	run -0 docker images saved/one --format '{{.Repository}}:{{.Tag}}'
	[ "$output" = saved/one:1 ]
	run -0 docker images 'saved/*' -q
	[ "${#lines[@]}" -eq 1 ]
	run -0 docker images --filter dangling=true -q
	[ -z "$output" ]
	run -1 docker images --filter bogus=1
	[[ "$output" == *"invalid filter 'bogus=1'"* ]]
	run -1 docker save nosuch:1 -o "$BERTH_TMP/no.tar"
	[[ "$output" == *"no such image: nosuch:1"* ]]
	echo garbage >"$BERTH_TMP/bad.tar"
	run -1 docker load -i "$BERTH_TMP/bad.tar"
	[[ "$output" == *"cannot read the archive"* ]]
	run -0 docker image inspect saved/one:1
	docker rmi saved/one:1 >/dev/null
}

@test "archives over 64 MiB go through a file, not memory: build context, load, cp in; docker import from a file and stdin" {
	need_docker
	mkdir -p "$BERTH_TMP/big"
	head -c 70M /dev/urandom >"$BERTH_TMP/big/blob"
	printf 'FROM %s\nCOPY blob /blob\n' "$IMG" >"$BERTH_TMP/big/Dockerfile"
	run -0 env DOCKER_BUILDKIT=0 docker build -q -t big "$BERTH_TMP/big"
	docker save big -o "$BERTH_TMP/big.tar"
	[ "$(stat -c %s "$BERTH_TMP/big.tar")" -gt $((64 << 20)) ]
	docker rmi big >/dev/null
	run -0 docker load -i "$BERTH_TMP/big.tar"
	[[ "$output" == *"Loaded image: big:latest"* ]]
	docker create --name bigc "$IMG" >/dev/null
	docker cp "$BERTH_TMP/big/blob" bigc:/copied
	docker cp bigc:/copied "$BERTH_TMP/back"
	cmp "$BERTH_TMP/big/blob" "$BERTH_TMP/back"
	run -0 docker run --rm big sh -c 'wc -c </blob'
	[ "$output" = $((70 << 20)) ]
	docker rm bigc >/dev/null
	# the spool files were unlinked from the start, and apid holds none of them any more
	run ! bash -c "ls -l /proc/$(cat "$BERTH_RUN/berth-apid.pid")/fd | grep -F '(deleted)'"
	# docker import: a rootfs tar, with a message and a change, from a file and from stdin
	mkdir -p "$BERTH_TMP/rootfs/bin"
	cp "$(command -v busybox)" "$BERTH_TMP/rootfs/bin/busybox"
	ln -s busybox "$BERTH_TMP/rootfs/bin/sh"
	tar -C "$BERTH_TMP/rootfs" -cf "$BERTH_TMP/rootfs.tar" .
	run -0 docker import -m "from a tar" -c 'CMD ["/bin/sh", "-c", "echo imported"]' "$BERTH_TMP/rootfs.tar" imp:1
	[[ "${lines[-1]}" == sha256:* ]]
	run -0 docker run --rm imp:1
	[ "$output" = imported ]
	run -0 docker history --format '{{.Comment}}' imp:1
	[ "$output" = "from a tar" ]
	run -0 bash -c "docker import - imp:2 <'$BERTH_TMP/rootfs.tar'"
	run -0 docker run --rm imp:2 /bin/sh -c 'echo stdin'
	[ "$output" = stdin ]
	run -1 bash -c "echo not-a-tar | docker import - imp:3"
	[ -z "$(docker images -q imp:3)" ]
}

@test "docker stats: CPU, memory against the limit, pids; a stream, and run -d's wait, end with their client" {
	need_docker
	docker run -d --name busy --memory 64m "$IMG" sh -c 'while :; do :; done' >/dev/null
	docker run -d --name idle "$IMG" sleep 1000 >/dev/null
	run -0 docker stats --no-stream --format '{{.Name}} {{.CPUPerc}} {{.MemUsage}} {{.PIDs}}' busy
	read -r name cpu mem _ limit pids <<<"$output"
	[ "$name" = busy ] && [ "$limit" = 64MiB ] && [ "$pids" = 1 ]
	# a busy loop on one CPU
	[ "${cpu%%.*}" -ge 30 ]
	run -0 docker stats --no-stream --format '{{.Name}}'
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "busy idle " ]
	# the stream: one document a second, read twice, then the client goes
	run -0 timeout 10 python3 - "$BERTH_RUN/docker.sock" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"GET /v1.45/containers/idle/stats HTTP/1.1\r\nHost: x\r\n\r\n")
f = s.makefile("rb")
assert f.readline().startswith(b"HTTP/1.1 200")
docs = 0
while docs < 2:
    line = f.readline().strip()
    if line.startswith(b"{"):
        d = json.loads(line)
        assert d["name"] == "/idle" and d["pids_stats"]["current"] == 1, d
        docs += 1
print("two")
PY
	[ "$output" = two ]
	pid=$(cat "$BERTH_RUN/berth-apid.pid")
	for _ in $(seq 30); do [ "$(ls /proc/$pid/task | wc -l)" -eq 1 ] && break; sleep 0.2; done
	[ "$(ls /proc/$pid/task | wc -l)" -eq 1 ]
	run -0 curl -s -w '%{http_code}' --unix-socket "$BERTH_RUN/docker.sock" "http://x/v1.45/containers/nosuch/stats?stream=0"
	[[ "$output" == *"no such container: nosuch"*404 ]]
	docker rm -f busy idle >/dev/null
}

@test "docker update, diff, commit, history and system df" {
	need_docker
	docker run -d --name chg -v chgvol:/data "$IMG" \
		sh -c 'echo new >/added; echo more >>/etc/passwd; head -c 100000 /dev/zero >/data/z; sleep 1000' >/dev/null
	for _ in $(seq 50); do docker exec chg test -f /data/z && break; sleep 0.1; done
	# update: the limit is in the record and in the cgroup; what berth cannot change is a 400
	run -0 docker update --memory 32m --pids-limit 50 --restart on-failure:2 chg
	[ "$(docker inspect -f '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}' chg)" = "33554432 50 on-failure" ]
	run -0 docker stats --no-stream --format '{{.MemUsage}}' chg
	[[ "$output" == *"/ 32MiB" ]]
	run -1 docker update --blkio-weight 300 chg
	[[ "$output" == *"BlkioWeight cannot be changed"* ]]
	run -1 docker update --memory 1k chg
	[[ "$output" == *"minimum memory limit"* ]]
	# diff: Docker's kinds
	run -0 docker diff chg
	[[ "$output" == *"C /etc/passwd"* && "$output" == *"A /added"* ]]
	# commit with a message, an author and a change; the image runs it
	run -0 docker commit -m "a message" -a someone -c 'CMD ["cat", "/added"]' chg committed:1
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	run -0 docker run --rm committed:1
	[ "$output" = new ]
	run -0 docker history --format '{{.CreatedBy}}|{{.Comment}}' committed:1
	[ "${lines[0]}" = "docker commit|a message" ]
	run -1 docker commit nosuch x:1
	[[ "$output" == *"no such container: nosuch"* ]]
	# system df: the image in use, the container's own bytes, the volume's
	run -0 docker system df --format '{{.Type}} {{.TotalCount}} {{.Active}}'
	[[ "$output" == *"Images 2 1"* && "$output" == *"Containers 1 1"* && "$output" == *"Local Volumes 1 1"* ]]
	run -0 docker system df -v --format '{{json .}}'
	[[ "$output" == *'"Name":"chgvol"'* ]]
	docker rm -f chg >/dev/null
	docker volume rm chgvol >/dev/null
	docker rmi committed:1 >/dev/null
}

@test "ps filters, shared with berth ps: one key's values any, several keys all; networks, volumes, ports, health, before/since" {
	need_docker
	docker run -d --name f1 -l tier=web "$IMG" sleep 100 >/dev/null
	docker run --name f2 -l tier=db "$IMG" sh -c 'exit 3' || true
	docker run --name f3 -l tier=web "$IMG" true
	run -0 docker ps -a --filter label=tier=web --format '{{.Names}}'
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "f1 f3 " ]
	run -0 docker ps --filter status=exited --filter status=running --format '{{.Names}}'
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "f1 f2 f3 " ]
	run -0 docker ps -a --filter label=tier=web --filter status=exited --format '{{.Names}}'
	[ "$output" = f3 ]
	run -0 docker ps -a --filter exited=3 --format '{{.Names}}'
	[ "$output" = f2 ]
	# the same from berth
	run -0 "$BERTH" ps --filter exited=3 --filter name=f --format '{{.Names}}'
	[ "$output" = f2 ]
	# networks, volumes, ports, health, order; and --format's .Networks, .Mounts
	docker network create fnet >/dev/null
	docker run -d --name f4 --network fnet -v fvol:/data -p 127.0.0.1::80 --expose 99/udp "$IMG" sleep 100 >/dev/null
	docker run -d --name f5 --health-cmd true --health-interval 1s "$IMG" sleep 100 >/dev/null
	for _ in $(seq 50); do [ "$(docker ps -q --filter health=healthy)" ] && break; sleep 0.1; done
	for f in "network=fnet|f4" "volume=fvol|f4" "volume=/data|f4" "publish=80|f4" "publish=70-90/tcp|f4" \
		"publish=80/udp|" "expose=99/udp|f4" "expose=99|" "health=healthy|f5" "health=none|f1 f4" \
		"before=f4|f1" "since=f4|f5" "is-task=true|"; do
		want=${f#*|}
		[ "$(docker ps --filter "${f%%|*}" --format '{{.Names}}' | sort | xargs)" = "$want" ]
		[ "$("$BERTH" ps --filter "${f%%|*}" --format '{{.Names}}' | sort | xargs)" = "$want" ]
	done
	[ "$(docker ps --filter name=f4 --format '{{.Networks}} {{.Mounts}}')" = "fnet fvol" ]
	[ "$("$BERTH" ps --filter name=f4 --format '{{.Networks}} {{.Mounts}}')" = "fnet fvol" ]
	for bad in "status=bogus|a status is created" "health=x|a health is starting" \
		"publish=abc|expected PORT[/PROTO]" "before=nope|no such container: nope" "is-task=maybe|expected true or false"; do
		refused 1 "invalid filter '${bad%%|*}': ${bad#*|}" docker ps --filter "${bad%%|*}"
		refused 125 "invalid filter '${bad%%|*}': ${bad#*|}" "$BERTH" ps --filter "${bad%%|*}"
	done
	docker rm -f f4 f5 >/dev/null
	docker network rm fnet >/dev/null
	run -1 docker ps --filter colour=blue
	[[ "$output" == *"invalid filter 'colour=blue'"* ]]
	run -0 curl -sS --unix-socket "$BERTH_RUN/docker.sock" 'http://x/v1.45/containers/json?filters=notjson'
	[[ "$output" == *"invalid filters 'notjson'"* ]]
}

@test "image filters, shared with berth images: label, before, since, until, reference, dangling; bad ones refused" {
	need_docker
	mkdir -p "$BERTH_TMP/lctx"
	printf 'FROM %s\nLABEL team=a\nRUN echo x >/x\n' "$IMG" >"$BERTH_TMP/lctx/Dockerfile"
	docker build -q -t labelled:1 "$BERTH_TMP/lctx" >/dev/null 2>&1
	for f in "label=team|labelled" "label=team=a|labelled" "label=team=b|" "before=labelled:1|$IMG" \
		"since=$IMG|labelled" "until=1h|$IMG" "until=2200-01-01T00:00:00Z|$IMG labelled" \
		"reference=lab*|labelled" "dangling=false|$IMG labelled"; do
		want=${f#*|}
		[ "$(docker images --filter "${f%%|*}" --format '{{.Repository}}' | sort | xargs)" = "$want" ]
		[ "$("$BERTH" images --filter "${f%%|*}" --format '{{.Repository}}' | sort | xargs)" = "$want" ]
	done
	for bad in "before=nope|no such image: nope" "until=xyz|a time (RFC 3339" "dangling=maybe|dangling is true or false" \
		"colour=1|use reference, dangling, label, before, since or until"; do
		refused 1 "invalid filter '${bad%%|*}': ${bad#*|}" docker images --filter "${bad%%|*}"
		refused 125 "invalid filter '${bad%%|*}': ${bad#*|}" "$BERTH" images --filter "${bad%%|*}"
	done
	# networks: type and scope
	docker network create tnet >/dev/null
	[ "$(docker network ls --filter type=custom --format '{{.Name}}')" = tnet ]
	[ "$(docker network ls --filter type=builtin --format '{{.Name}}')" = bridge ]
	[ "$(docker network ls --filter scope=local --format '{{.Name}}' | sort | xargs)" = "bridge tnet" ]
	run -1 docker network ls --filter type=other
	[[ "$output" == *"invalid filter 'type=other'"* ]]
	docker network rm tnet >/dev/null
	docker rmi labelled:1 >/dev/null
}

@test "docker pull from a registry, run pulls what is missing, login and push" {
	need_docker
	command -v docker-registry >/dev/null || skip "docker-registry is not installed"
	start_registry
	run -0 docker pull "$REG/test/busybox:1"
	[[ "$output" == *"Pull complete"* || "$output" == *"Download complete"* || "$output" == *"Status:"* ]]
	[ "$(docker events --since 1m --until "$(($(date +%s) + 1))" --filter event=pull --format '{{.Actor.Attributes.name}}')" = "$REG/test/busybox:1" ]
	run -0 docker images --format '{{.Repository}}:{{.Tag}}'
	[[ "$output" == *"$REG/test/busybox:1"* ]]
	docker rmi "$REG/test/busybox:1" >/dev/null
	run -0 docker run --rm "$REG/test/busybox:1" echo pulled-by-run
	[[ "$output" == *"Unable to find image"* ]]
	[[ "$output" == *pulled-by-run ]]
	run -1 docker pull "$REG/test/nosuch:1"
	[[ "$output" == *"Error response from daemon"*"nosuch"* ]]
	# a pull failing before any progress answers with its status, as Docker's (the SDKs rely on it)
	run -0 curl -s -o /dev/null -w '%{http_code}' --unix-socket "$BERTH_RUN/docker.sock" -X POST \
		"http://x/v1.45/images/create?fromImage=$REG/test/nosuch&tag=1"
	[ "$output" = 404 ]
	run -0 curl -s -o /dev/null -w '%{http_code}' --unix-socket "$BERTH_RUN/docker.sock" -X POST \
		"http://x/v1.45/images/create?fromImage=127.0.0.1:1/none&tag=1"
	[ "$output" = 500 ]
	# push: a new name in the registry, read back by skopeo and pulled again
	run -0 docker login -u someone -p secret "$REG"
	[[ "$output" == *"Login Succeeded"* ]]
	docker tag "$REG/test/busybox:1" "$REG/test/pushed:2"
	run -0 docker push "$REG/test/pushed:2"
	[[ "$output" == *"2: digest: sha256:"* || "$output" == *"Pushed"* ]]
	run -0 skopeo inspect --tls-verify=false "docker://$REG/test/pushed:2"
	docker rmi "$REG/test/pushed:2" >/dev/null
	run -0 docker run --rm "$REG/test/pushed:2" echo pushed-and-back
	[[ "$output" == *pushed-and-back ]]
	run -1 docker push "$REG/test/notlocal:1"
	[[ "$output" == *"notlocal"* ]]
	# docker build sends its stored credentials (X-Registry-Config) for FROM's pull
	start_auth_registry
	mkdir -p "$BERTH_TMP/actx"
	printf 'FROM %s/test/busybox:1\nRUN echo built-from-private\n' "$AREG" >"$BERTH_TMP/actx/Dockerfile"
	run -1 env DOCKER_BUILDKIT=0 docker build -t fromprivate "$BERTH_TMP/actx"
	[[ "$output" == *"401"* || "$output" == *"credentials"* ]]
	run -0 docker login -u tester -p s3cret "$AREG"
	run -0 env DOCKER_BUILDKIT=0 docker build -t fromprivate "$BERTH_TMP/actx"
	[[ "$output" == *built-from-private* ]]
	docker rmi fromprivate "$AREG/test/busybox:1" >/dev/null
}

@test "networks and volumes: create, use, list, remove" {
	need_docker
	run -0 docker network create apinet
	for bad in "--ipv6|IPv6 networks are not supported" "--ip-range 10.254.1.0/28 --subnet 10.254.1.0/24|--ip-range is not supported" \
		"--aux-address a=10.254.2.5 --subnet 10.254.2.0/24|--aux-address is not supported" \
		"-o com.docker.network.bridge.name=x|network options (--opt) are not supported" \
		"--subnet 10.254.3.0/24 --subnet 10.254.4.0/24|one subnet per network" "-d overlay|only bridge networks"; do
		refused 1 "${bad#*|}" docker network create ${bad%%|*} badnet
	done
	[[ "$(docker network ls --format '{{.Name}}')" != *badnet* ]]
	run -0 docker network ls --format '{{.Name}}'
	[[ "$output" == *apinet* ]]
	# a container not started yet shows the network it will join, its aliases and short id
	cid=$(docker create --name created1 --network apinet --network-alias ali "$IMG" true)
	[ "$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{join $v.Aliases ","}} {{$v.IPAddress}}.{{end}}' created1)" = "apinet ali,${cid:0:12} ." ]
	docker rm created1 >/dev/null
	run -0 docker volume create apivol
	run -1 docker volume create --opt type=tmpfs --opt device=tmpfs tmpvol
	[[ "$output" == *"volume options (--opt "*") are not supported: berth's local volumes are directories"* ]]
	run -0 docker run --rm -v apivol:/data "$IMG" sh -c 'echo kept >/data/f'
	run -0 docker run --rm --network apinet -v apivol:/data "$IMG" cat /data/f
	[ "$output" = kept ]
	# --ip needs a subnet of one's choosing; --mac-address (EndpointsConfig since API 1.44)
	docker network create --subnet 10.253.$((RANDOM % 250)).0/24 ipapinet >/dev/null
	sub=$(docker network inspect -f '{{(index .IPAM.Config 0).Subnet}}' ipapinet)
	want=${sub%.0/24}.42
	run -0 docker run --rm --network ipapinet --ip "$want" --mac-address 02:00:00:00:00:42 "$IMG" \
		sh -c 'busybox ip -4 -o addr show eth0; cat /sys/class/net/eth0/address'
	[[ "$output" == *"inet $want/24"* ]] && [[ "$output" == *02:00:00:00:00:42* ]]
	run -125 docker run --rm --ip "$want" "$IMG" true
	[[ "$output" == *"a user specified IP address is supported on user defined networks only"* ]]
	# one MAC address per network: a second endpoint with it is refused, the first goes on
	docker run -d --name macholder --network ipapinet --mac-address 02:00:00:00:00:43 "$IMG" sleep 100 >/dev/null
	run -125 docker run --rm --network ipapinet --mac-address 02:00:00:00:00:43 "$IMG" true
	[[ "$output" == *"MAC address 02:00:00:00:00:43 is in use on network ipapinet"* ]]
	[ "$(docker exec macholder cat /sys/class/net/eth0/address)" = 02:00:00:00:00:43 ]
	docker rm -f macholder >/dev/null
	# docker network connect --ip: the address on a second network
	docker run -d --name ipconn "$IMG" sleep 1000 >/dev/null
	run -0 docker network connect --ip "${sub%.0/24}.43" ipapinet ipconn
	[[ "$(docker exec ipconn busybox ip -4 -o addr show eth1)" == *"inet ${sub%.0/24}.43/24"* ]]
	docker rm -f ipconn >/dev/null
	docker network rm ipapinet >/dev/null
	run -0 docker volume ls --format '{{.Name}}'
	[ "$output" = apivol ]
	# dangling: what no container uses (bridge, host and none never are)
	docker volume create idlevol >/dev/null
	docker network create idlenet >/dev/null
	docker run -d --name holder --network apinet -v apivol:/data "$IMG" sleep 1000 >/dev/null
	[ "$(docker volume ls -q -f dangling=true)" = idlevol ]
	[ "$(docker volume ls -q -f dangling=false)" = apivol ]
	[ "$(docker network ls --format '{{.Name}}' -f dangling=true)" = idlenet ]
	[[ "$(docker network ls --format '{{.Name}}' -f dangling=false)" == *apinet* ]]
	run -1 docker volume ls -f dangling=maybe
	[[ "$output" == *"invalid filter 'dangling=maybe'"* ]]
	docker rm -f holder >/dev/null
	docker volume rm idlevol >/dev/null
	docker network rm idlenet >/dev/null
	run -0 docker volume rm apivol
	run -0 docker network rm apinet
	run -0 docker network ls --format '{{.Name}}'
	[[ "$output" != *apinet* ]]
}

@test "--pid, --ipc and --network container:NAME join a running container's namespaces; /dev/shm of a shareable one" {
	need_docker
	docker run -d --name donor --ipc shareable --shm-size 8m "$IMG" sh -c 'echo from-donor >/dev/shm/x; sleep 100' >/dev/null
	docker run -d --name private "$IMG" sleep 100 >/dev/null
	for _ in $(seq 50); do docker exec donor sh -c 'test -e /dev/shm/x' 2>/dev/null && break; sleep 0.1; done
	run -0 docker run --rm --pid container:donor --ipc container:donor --network container:donor "$IMG" sh -c \
		'ps -o pid,args | grep -c "^ *1 sleep 100"; cat /dev/shm/x; echo back >/dev/shm/y; readlink /proc/1/ns/net; readlink /proc/self/ns/ipc'
	[ "${lines[0]}" = 1 ] && [ "${lines[1]}" = from-donor ]
	[ "$(docker exec donor cat /dev/shm/y)" = back ]
	[ "$(docker exec donor sh -c 'readlink /proc/1/ns/net; readlink /proc/self/ns/ipc' | xargs)" = "$(echo ${lines[2]} ${lines[3]})" ]
	run -125 docker run --rm --ipc container:private "$IMG" true
	[[ "$output" == *"container private's IPC is not shareable (start it with --ipc shareable)"* ]]
	run -125 docker run --rm --pid container:nosuch "$IMG" true
	[[ "$output" == *"invalid --pid container:nosuch: no such container"* ]]
	docker stop -t 0 private >/dev/null
	run -125 timeout 30 docker run --rm --pid container:private "$IMG" true
	[[ "$output" == *"cannot join the pid namespace of container private: it is not running"* ]]
	[ "$(docker ps -aq | wc -l)" = 2 ]
	docker rm -f donor private >/dev/null
	[ -z "$(grep "$BERTH_RUN" /proc/mounts | grep ' tmpfs ' | grep /shm)" ]
}

@test "--link NAME:ALIAS: the linked container's address on a shared network in /etc/hosts; stopped or missing ones refused" {
	need_docker
	docker network create lnet >/dev/null
	docker run -d --name ldb --network lnet "$IMG" sleep 100 >/dev/null
	ip=$(docker inspect -f '{{.NetworkSettings.Networks.lnet.IPAddress}}' ldb)
	run -0 docker run --rm --network lnet --link ldb:database "$IMG" sh -c 'grep database /etc/hosts; ping -c1 -W2 database >/dev/null && echo reached'
	[ "$output" = "$ip	database ldb
reached" ]
	# the default bridge, through berth run
	docker run -d --name lbr "$IMG" sleep 100 >/dev/null
	run -0 "$BERTH" run --rm --link lbr "$IMG" sh -c "grep -c lbr /etc/hosts"
	[ "$output" = 1 ]
	run -125 "$BERTH" run --rm --network lnet --link lbr:x "$IMG" true
	[[ "$output" == *"cannot link to container lbr: it is on no network container"* ]]
	docker stop -t 0 ldb >/dev/null
	run -125 timeout 30 docker run --rm --network lnet --link ldb:database "$IMG" true
	[[ "$output" == *"cannot link to container ldb, it is not running"* ]]
	run -125 "$BERTH" run --rm --link 'lbr:bad alias' "$IMG" true
	[[ "$output" == *"the alias 'bad alias' is not a host name"* ]]
	[ "$(docker ps -aq | wc -l)" = 2 ]
	docker rm -f ldb lbr >/dev/null
	docker network rm lnet >/dev/null
}

@test "--mount, the long form (HostConfig.Mounts), from docker, berth and python3-docker; bad mounts refused, nothing made" {
	need_docker
	docker run --rm -v mvol:/data "$IMG" sh -c 'echo kept >/data/f'
	# a named volume read-only, a tmpfs with size and mode, a host path read-only
	echo host >"$BERTH_TMP/hostfile"
	run -0 docker run --rm --mount type=volume,src=mvol,dst=/v,readonly \
		--mount type=tmpfs,dst=/t,tmpfs-size=1m,tmpfs-mode=1770 \
		--mount type=bind,source="$BERTH_TMP",target=/h,readonly "$IMG" \
		sh -c 'cat /v/f /h/hostfile; grep " /t " /proc/mounts; touch /v/x 2>/dev/null || echo v-ro; touch /h/x 2>/dev/null || echo h-ro'
	[ "${lines[0]}" = kept ] && [ "${lines[1]}" = host ]
	[[ "${lines[2]}" == *"size=1024k,mode=1770"* ]]
	[[ "$output" == *v-ro* && "$output" == *h-ro* ]]
	# the same through berth run; an anonymous volume goes with --rm; a volume's labels
	run -0 "$BERTH" run --rm --mount type=volume,src=mvol,dst=/v --mount type=volume,dst=/anon \
		--mount type=volume,src=labelled,dst=/l,volume-label=team=a "$IMG" \
		sh -c 'cat /v/f; grep -c " /anon " /proc/mounts'
	[ "$output" = "kept
1" ]
	[ "$(docker volume inspect -f '{{.Labels.team}}' labelled)" = a ]
	[ "$(docker volume ls -q | sort | tr '\n' ' ')" = "labelled mvol " ]
	# docker inspect shows the mount
	docker run -d --name mounted --mount type=volume,src=mvol,dst=/v "$IMG" sleep 100 >/dev/null
	[ "$(docker inspect -f '{{range .Mounts}}{{.Name}} {{.Destination}}{{end}}' mounted)" = "mvol /v" ]
	docker rm -f mounted >/dev/null
	# the SDK's Mount objects
	run -0 /usr/bin/python3 - "$DOCKER_HOST" "$IMG" <<'PY'
import sys, docker
from docker.types import Mount
c = docker.DockerClient(base_url=sys.argv[1])
out = c.containers.run(sys.argv[2], ["cat", "/m/f"], remove=True,
                       mounts=[Mount("/m", "mvol", type="volume", read_only=True)])
assert out == b"kept\n", out
print("ok")
PY
	[ "${lines[-1]}" = ok ]
	before=$(docker ps -aq | wc -l)
	for bad in "type=bind,src=$BERTH_TMP/none,dst=/x|bind source path $BERTH_TMP/none" \
		"type=tmpfs,dst=/x --mount type=volume,src=mvol,dst=/x|invalid --mount target=/x: duplicate mount point" \
		"type=tmpfs,dst=/x -v mvol:/x|duplicate mount point" \
		"type=volume,src=/etc,dst=/x|source=/etc is a path" \
		"type=bind,src=/etc,dst=/x,bind-propagation=rshared|bind-propagation=rshared is not supported" \
		"type=volume,src=v,dst=/x,volume-driver=nfs|volume-driver=nfs is not supported" \
		"type=tmpfs,src=x,dst=/x|a tmpfs has no source" "type=volume,src=v,dst=rel|target=rel: it must be an absolute path"; do
		refused 125 "${bad#*|}" docker run --rm --mount ${bad%%|*} "$IMG" true
		refused 125 "${bad#*|}" "$BERTH" run --rm --mount ${bad%%|*} "$IMG" true
	done
	run -125 "$BERTH" run --rm --mount type=tmpfs,dst=/x,tmpfs-mode=999 "$IMG" true
	[[ "$output" == *"tmpfs-mode an octal mode"* ]]
	run -125 "$BERTH" run --rm --mount type=tmpfs,dst=/x,colour=red "$IMG" true
	[[ "$output" == *"invalid --mount 'type=tmpfs,dst=/x,colour=red': unknown key"* ]]
	[ "$(docker ps -aq | wc -l)" = "$before" ]
	[ "$(docker volume ls -q | sort | tr '\n' ' ')" = "labelled mvol " ]
}

@test "prune: docker volume prune takes anonymous volumes (-a all unused), network, image, builder and system prune" {
	need_docker
	docker volume create named >/dev/null
	docker run --name anon -v /anon "$IMG" true
	anon=$(docker inspect --format '{{range .Mounts}}{{.Name}}{{end}}' anon)
	docker volume create inuse >/dev/null
	docker run -d --name user -v inuse:/x "$IMG" sleep 100 >/dev/null
	docker rm anon >/dev/null
	run -0 docker volume prune -f
	[[ "$output" == *"$anon"* && "$output" != *named* ]]
	[ "$(docker volume ls -q | sort | tr '\n' ' ')" = "inuse named " ]
	run -0 docker volume prune -af
	[ "$(docker volume ls -q)" = inuse ]
	docker network create unused >/dev/null
	run -0 docker network prune -f
	[[ "$output" == *unused* ]]
	[ "$(docker network ls --format '{{.Name}}')" = bridge ]
	# the build cache: an intermediate image goes, the named result stays
	mkdir -p "$BERTH_TMP/pctx"
	printf 'FROM %s\nRUN echo a >/a\nRUN echo b >/b\n' "$IMG" >"$BERTH_TMP/pctx/Dockerfile"
	docker build -q -t pruned "$BERTH_TMP/pctx" >/dev/null 2>&1
	[ "$(docker images -aq | sort -u | wc -l)" = 3 ]
	run -0 docker builder prune -f
	[[ "$output" == *"sha256:"* ]]
	[ "$(docker images -aq | sort -u | wc -l)" = 2 ]
	run -0 docker system prune -f
	run -0 docker image prune -af
	[[ "$output" == *"deleted: sha256:"* ]]
	# the image a container uses stays
	run -0 docker images --format '{{.Repository}}'
	[ "$output" = "$IMG" ]
	run -1 docker image prune -f --filter until=1h
	[[ "$output" == *"invalid filter 'until=1h' for a prune (only dangling=BOOL)"* ]]
	docker rm -f user >/dev/null
}

@test "python3-docker drives it too" {
	[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import docker' 2>/dev/null ||
		skip "python3-docker is not installed"
	run -0 /usr/bin/python3 - "$DOCKER_HOST" "$IMG" <<'PY'
import sys, docker
c = docker.DockerClient(base_url=sys.argv[1])
img = sys.argv[2]
assert c.ping()
out = c.containers.run(img, ["echo", "sdk"], remove=True)
assert out == b"sdk\n", out
# network_disabled: loopback only
out = c.containers.run(img, ["ls", "/sys/class/net"], remove=True, network_disabled=True)
assert out == b"lo\n", out
k = c.containers.run(img, ["sh", "-c", "echo bg; sleep 100"], detach=True, name="sdkbg")
k.reload()
assert k.status == "running", k.status
assert [x.name for x in c.containers.list()] == ["sdkbg"]
code, out = k.exec_run(["echo", "execd"])
assert (code, out) == (0, b"execd\n"), (code, out)
k.kill()
assert k.wait()["StatusCode"] == 137
assert b"bg" in k.logs()
k.remove()
assert c.containers.list(all=True) == []
assert any(img + ":latest" in i.tags for i in c.images.list())
print("ok")
PY
	[ "${lines[-1]}" = ok ]
}

@test "docker build: streamed RUN output, build-args, tags, cache, -q, a failing RUN, limits of RUN steps; the built CMD runs" {
	need_docker
	export DOCKER_BUILDKIT=0
	mkdir -p "$BERTH_TMP/ctx"
	printf 'FROM %s\nARG WHO=nobody\nRUN echo "built by $WHO" >/who && echo step-output\nCOPY f /f\nCMD ["cat", "/who", "/f"]\n' \
		"$IMG" >"$BERTH_TMP/ctx/Dockerfile"
	echo from-context >"$BERTH_TMP/ctx/f"
	run -0 timeout 120 docker build --build-arg WHO=apid --build-arg UNUSED=1 -t apibuilt:1 "$BERTH_TMP/ctx"
	[[ "$output" == *"step-output"* ]]
	[[ "$output" == *"Successfully built "* ]]
	[[ "$output" == *"Successfully tagged apibuilt:1"* ]]
	[[ "$output" == *"build-args [UNUSED] were not consumed"* ]]
	# no command given: the image's CMD runs (the API's "Cmd": null is no command)
	run -0 docker run --rm apibuilt:1
	[ "$output" = "built by apid
from-context" ]
	# the same build again is cached; -q prints the image id alone
	run -0 --separate-stderr timeout 120 docker build -q --build-arg WHO=apid -t apibuilt:2 "$BERTH_TMP/ctx"
	[[ "$output" =~ ^sha256:[0-9a-f]{64}$ ]]
	[ "$output" = "$(docker image inspect -f '{{.Id}}' apibuilt:1)" ]
	run -0 docker image inspect -f '{{.Id}}' apibuilt:2
	# a failing RUN: exit 1, the step and its code, nothing tagged
	printf 'FROM %s\nRUN echo failing; exit 3\n' "$IMG" >"$BERTH_TMP/ctx/Dockerfile"
	run -1 timeout 120 docker build -t apibad "$BERTH_TMP/ctx"
	[[ "$output" == *"failing"* ]]
	[[ "$output" == *"returned a non-zero code: 3"* ]]
	run -1 docker image inspect apibad
	# a Dockerfile the parser refuses
	printf 'FROM %s\nFROBNICATE x\n' "$IMG" >"$BERTH_TMP/ctx/Dockerfile"
	run -1 timeout 120 docker build "$BERTH_TMP/ctx"
	[[ "$output" == *"FROBNICATE"* ]]
	# the legacy builder's limits reach every RUN step; what berth's builder lacks is refused
	printf 'FROM %s\nRUN grep myhost /etc/hosts; ulimit -n; df -k /dev/shm | tail -1\n' "$IMG" >"$BERTH_TMP/ctx/Dockerfile"
	run -0 timeout 120 docker build --no-cache -m 64m --add-host myhost:10.9.8.7 --ulimit nofile=256:256 \
		--shm-size 8m "$BERTH_TMP/ctx"
	[[ "$output" == *"10.9.8.7	myhost"*"256"*"8192"* ]]
	run -1 timeout 60 docker build --no-cache -m 1k "$BERTH_TMP/ctx"
	[[ "$output" == *"invalid --memory 1024 bytes"* ]]
	run -1 timeout 60 docker build --cgroup-parent x "$BERTH_TMP/ctx"
	[[ "$output" == *"build option cgroupparent=x is not supported"* ]]
	# dockerfile= names a file of the context: never one outside it
	tar -C "$BERTH_TMP/ctx" -cf "$BERTH_TMP/ctx.tar" Dockerfile
	run -0 curl -s --unix-socket "$BERTH_RUN/docker.sock" -X POST --data-binary @"$BERTH_TMP/ctx.tar" \
		'http://x/v1.45/build?dockerfile=../../../../etc/passwd'
	[[ "$output" == *"the Dockerfile ../../../../etc/passwd in the build context: "*"No such file"* ]]
	run -0 docker version --format '{{.Server.APIVersion}}'
	docker rmi apibuilt:1 apibuilt:2 >/dev/null
}

@test "docker-compose: up -d --build, ps, logs, service names resolve, down -v leaves nothing" {
	command -v docker-compose >/dev/null || skip "docker-compose is not installed"
	mkdir -p "$BERTH_TMP/proj/client"
	printf 'FROM %s\nCOPY greeting /greeting\nCMD ["sh", "-c", "cat /greeting; sleep 1000"]\n' \
		"$IMG" >"$BERTH_TMP/proj/client/Dockerfile"
	echo client up >"$BERTH_TMP/proj/client/greeting"
	cat >"$BERTH_TMP/proj/docker-compose.yml" <<YML
version: "3.8"
services:
  web:
    image: $IMG
    command: ["sh", "-c", "echo web up; echo served >/data/index.html; httpd -f -p 80 -h /data"]
    ports:
      - "127.0.0.1:18302:80"
    volumes:
      - webdata:/data
  client:
    build: ./client
    volumes:
      - type: volume
        source: webdata
        target: /shared
        read_only: true
volumes:
  webdata:
YML
	cd "$BERTH_TMP/proj"
	run -0 timeout 120 docker-compose -p bproj up -d --build
	[[ "$output" == *"Successfully built"* ]]
	docker image inspect bproj_client >/dev/null
	run -0 docker-compose -p bproj ps
	[[ "$output" == *"bproj_web_1"*"Up"*"127.0.0.1:18302->80/tcp"* ]]
	[[ "$output" == *"bproj_client_1"*"Up"* ]]
	[ "$(grep -c bproj_ <<<"$output")" -eq 2 ]
	for _ in $(seq 50); do curl -fs http://127.0.0.1:18302/index.html >/dev/null && break; sleep 0.1; done
	[ "$(curl -fs http://127.0.0.1:18302/index.html)" = served ]
	# the service's name is an alias on the project's network
	run -0 docker exec bproj_client_1 busybox wget -qO- http://web/index.html
	[ "$output" = served ]
	# a one-off container: compose links it to its service's containers
	run -0 timeout 60 docker-compose -p bproj run --rm -T client sh -c \
		'busybox wget -qO- http://web/index.html; grep -c bproj_client_1 /etc/hosts'
	[ "${lines[-2]}" = served ] && [ "${lines[-1]}" -ge 1 ]
	[ "$(docker ps -aq | wc -l)" = 2 ]
	# compose's long volume syntax (a Mount): the same volume, read-only
	run -0 docker exec bproj_client_1 sh -c 'cat /shared/index.html; touch /shared/x 2>/dev/null || echo ro'
	[ "$output" = "served
ro" ]
	run -0 timeout 30 docker-compose -p bproj logs --no-color
	[[ "$output" == *"web_1"*"web up"* ]]
	[[ "$output" == *"client_1"*"client up"* ]]
	[ "$(docker volume ls -q)" = bproj_webdata ]
	run -0 timeout 120 docker-compose -p bproj down -v
	[ -z "$(docker ps -aq)" ]
	[ -z "$(docker volume ls -q)" ]
	[ "$(docker network ls --format '{{.Name}}')" = bridge ]
	docker rmi bproj_client >/dev/null
}

@test "TCP with mutual TLS: a client certificate of the CA gets in; none, another CA's or plain HTTP do not" {
	need_docker
	command -v openssl >/dev/null || skip "openssl is not installed"
	T=$BERTH_TMP/tls
	tls_certs "$T"
	port=$(free_port)
	"$BERTH" system stop >/dev/null
	BERTH_APID_TCP=127.0.0.1:$port BERTH_APID_TLSCACERT=$T/ca.pem \
		BERTH_APID_TLSCERT=$T/server-cert.pem BERTH_APID_TLSKEY=$T/server-key.pem \
		"$BERTH" system start --group "$APID_GROUP" >/dev/null
	tlsd() { DOCKER_HOST=tcp://127.0.0.1:$port docker --tlsverify --tlscacert "$T/ca.pem" "$@"; }
	run -0 tlsd --tlscert "$T/cert.pem" --tlskey "$T/key.pem" version --format '{{.Server.APIVersion}}'
	[ "$output" = 1.45 ]
	# a hijacked attach over TLS, stdin's end (close_notify) a half-close
	run -0 bash -c "echo through-tls | DOCKER_HOST=tcp://127.0.0.1:$port docker --tlsverify \
		--tlscacert '$T/ca.pem' --tlscert '$T/cert.pem' --tlskey '$T/key.pem' \
		run --rm -i '$IMG' sh -c 'cat; echo done'"
	[ "$output" = "through-tls
done" ]
	run -0 tlsd --tlscert "$T/cert.pem" --tlskey "$T/key.pem" run -d --name tlsbg "$IMG" sleep 100
	run -0 tlsd --tlscert "$T/cert.pem" --tlskey "$T/key.pem" ps --format '{{.Names}}'
	[ "$output" = tlsbg ]
	# no certificate: the handshake fails
	run -1 tlsd version
	[[ "$output" == *"certificate required"* || "$output" == *"connection reset"* ]]
	run -0 grep -q "refused: .*peer did not return a certificate" "$BERTH_ROOT/log/berth-apid.log"
	# a certificate another CA signed
	run ! curl -sS --cacert "$T/ca.pem" --cert "$T/rogue-cert.pem" --key "$T/rogue-key.pem" \
		"https://127.0.0.1:$port/_ping"
	# plain HTTP to the TLS port: Docker's 400, nothing served
	run -0 curl -s "http://127.0.0.1:$port/_ping"
	[ "$output" = "Client sent an HTTP request to an HTTPS server." ]
	run -0 curl -sS --cacert "$T/ca.pem" --cert "$T/cert.pem" --key "$T/key.pem" \
		"https://127.0.0.1:$port/_ping"
	[ "$output" = OK ]
	run -0 grep -q "client CN=admin" "$BERTH_ROOT/log/berth-apid.log"
	docker rm -f tlsbg >/dev/null
}

@test "TCP options: plain HTTP only on loopback and only when asked; TLS files checked at start" {
	command -v openssl >/dev/null || skip "openssl is not installed"
	T=$BERTH_TMP/tls
	tls_certs "$T"
	A=("$BERTH_BUILDDIR/berth-apid" --foreground --root "$BERTH_ROOT" --run "$BERTH_TMP/run2" --group "$APID_GROUP")
	mkdir -p "$BERTH_TMP/run2"
	run -2 "${A[@]}" --tcp 0.0.0.0:2376
	[[ "$output" == *"--tcp 0.0.0.0:2376 needs mutual TLS: --tlscacert, --tlscert and --tlskey (missing: --tlscacert --tlscert --tlskey)"* ]]
	run -2 "${A[@]}" --tcp 127.0.0.1:2376 --tlscert "$T/server-cert.pem" --tlskey "$T/server-key.pem"
	[[ "$output" == *"(missing: --tlscacert)"* ]]
	run -2 "${A[@]}" --tlscacert "$T/ca.pem"
	[[ "$output" == *"need --tcp ADDRESS:PORT"* ]]
	run -2 "${A[@]}" --tcp 127.0.0.1:2376 --insecure-tcp --tlscacert "$T/ca.pem"
	[[ "$output" == *"exclude each other"* ]]
	run -1 "${A[@]}" --tcp 0.0.0.0:2376 --insecure-tcp
	[[ "$output" == *"plain HTTP on 0.0.0.0:2376 is refused: --insecure-tcp is for a loopback address only"* ]]
	run -1 "${A[@]}" --tcp nohost:2376 --insecure-tcp
	[[ "$output" == *"'nohost' is not an IP address"* ]]
	run -1 "${A[@]}" --tcp 127.0.0.1:70000 --insecure-tcp
	[[ "$output" == *"the port must be 1 to 65535"* ]]
	run -1 "${A[@]}" --tcp 127.0.0.1:2376 --tlscacert "$T/ca.pem" --tlscert "$T/server-cert.pem" --tlskey "$T/key.pem"
	[[ "$output" == *"--tlskey $T/key.pem"*"mismatch"* ]]
	run -1 "${A[@]}" --tcp 127.0.0.1:2376 --tlscacert "$T/none.pem" --tlscert "$T/server-cert.pem" --tlskey "$T/server-key.pem"
	[[ "$output" == *"--tlscacert $T/none.pem"*"No such file"* ]]
	# the apid of this test's engine was not touched; plain HTTP on loopback when asked
	run -0 curl -s --unix-socket "$BERTH_RUN/docker.sock" http://x/_ping
	port=$(free_port)
	"$BERTH" system stop >/dev/null
	BERTH_APID_TCP=127.0.0.1:$port BERTH_APID_INSECURE_TCP=1 "$BERTH" system start --group "$APID_GROUP" >/dev/null
	run -0 curl -s "http://127.0.0.1:$port/_ping"
	[ "$output" = OK ]
	run -0 env DOCKER_HOST=tcp://127.0.0.1:$port docker run --rm "$IMG" echo plain-loopback
	[ "$output" = plain-loopback ]
}

@test "bad requests get a 4xx with a message, and apid goes on serving" {
	run -0 raw 'GARBAGE\r\n\r\n'
	[ "${lines[0]}" = "HTTP/1.1 400 Bad Request" ]
	[[ "$output" == *'"message":"malformed HTTP'* ]]
	big=$(head -c 70000 /dev/zero | tr '\0' a)
	run -0 raw "GET /_ping HTTP/1.1\\r\\nHost: x\\r\\nX-Big: $big\\r\\n\\r\\n"
	[ "${lines[0]}" = "HTTP/1.1 431 Request Header Fields Too Large" ]
	run -0 raw 'POST /containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\n\r\n'
	[ "${lines[0]}" = "HTTP/1.1 413 Payload Too Large" ]
	# an archive may be big, not unbounded
	run -0 raw 'POST /images/load HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n'
	[ "${lines[0]}" = "HTTP/1.1 413 Payload Too Large" ]
	[[ "$output" == *"the archive is over 256 GiB"* ]]
	# what berth cannot do says so, rather than a 405 that reads like a client error
	run -0 raw 'GET /v1.45/images/search?term=busybox HTTP/1.1\r\nHost: x\r\n\r\n'
	[ "${lines[0]}" = "HTTP/1.1 501 Not Implemented" ]
	[[ "$output" == *"search is not supported: berth talks to registries through the distribution API"* ]]
	run -0 raw 'POST /v1.45/containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9\r\nConnection: close\r\n\r\n{"Image":'
	[ "${lines[0]}" = "HTTP/1.1 400 Bad Request" ]
	[[ "$output" == *"invalid JSON in the request body"* ]]
	run -0 raw 'POST /v1.45/containers/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}'
	[ "${lines[0]}" = "HTTP/1.1 400 Bad Request" ]
	[[ "$output" == *"a container needs an image"* ]]
	run -0 raw 'GET /v1.45/nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	[ "${lines[0]}" = "HTTP/1.1 404 Not Found" ]
	run -0 raw 'PUT /v1.45/containers/json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
	[ "${lines[0]}" = "HTTP/1.1 405 Method Not Allowed" ]
	# build contexts that climb out of their directory
	python3 - "$BERTH_TMP" <<'PY2'
import io, sys, tarfile
def tar(path, entries):
    with tarfile.open(path, "w") as t:
        for name, kind, data in entries:
            i = tarfile.TarInfo(name)
            if kind == "l":
                i.type, i.linkname = tarfile.SYMTYPE, data
                t.addfile(i)
            else:
                i.size = len(data)
                t.addfile(i, io.BytesIO(data))
df = ("Dockerfile", "f", b"FROM scratch\n")
tar(sys.argv[1] + "/up.tar", [df, ("../escaped", "f", b"x")])
tar(sys.argv[1] + "/link.tar", [df, ("l", "l", "/"), ("l/escaped", "f", b"x")])
PY2
	run -0 curl -s --unix-socket "$BERTH_RUN/docker.sock" -w '\n%{http_code}' -XPOST \
		-H 'Content-Type: application/x-tar' --data-binary @"$BERTH_TMP/up.tar" 'http://x/build?t=esc'
	[ "${lines[-1]}" = 400 ]
	[[ "${lines[0]}" == *"../escaped: a path out of the context"* ]]
	run -0 curl -s --unix-socket "$BERTH_RUN/docker.sock" -w '\n%{http_code}' -XPOST \
		-H 'Content-Type: application/x-tar' --data-binary @"$BERTH_TMP/link.tar" 'http://x/build?t=esc'
	[ "${lines[-1]}" = 400 ]
	[[ "${lines[0]}" == *"through symlink"* ]]
	[ ! -e "$BERTH_TMP/escaped" ] && [ ! -e /tmp/escaped ] && [ ! -e /escaped ]
	need_docker
	# Docker's codes the CLI acts on
	run -1 docker inspect nosuch
	[[ "$output" == *"No such"* || "$output" == *"no such"* ]]
	run -125 docker run --rm nosuch/image:1
	docker run -d --name one "$IMG" sleep 100 >/dev/null
	run -125 docker run -d --name one "$IMG" sleep 100
	[[ "$output" == *"Conflict"* || "$output" == *"already in use"* ]]
	run -1 docker rm one
	[[ "$output" == *"Error response from daemon"* ]]
	[ "$(docker inspect -f '{{.State.Status}}' one)" = running ]
	# still serving
	run -0 docker run --rm "$IMG" echo still-here
	[ "$output" = still-here ]
}
