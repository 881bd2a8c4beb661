#!/usr/bin/env bats
# berth-containerd and the container commands, against the real daemons and kernel.

load helpers

bats_require_minimum_version 1.5.0

setup() {
	berth_setup
	python3 "$SRC/tests/fixtures/make-images.py" "$BERTH_TMP/images" "$BERTH_TMP/canary" >/dev/null
	"$BERTH" system start >/dev/null
	"$BERTH" load -q -i "$BERTH_TMP/images/busybox.tar" >/dev/null
	IMG=berth-test/busybox
}

teardown() {
	engine_teardown
}

b() { "$BERTH" "$@"; }

# the field of a container's inspect document, as a Python expression over d
field() {
	b inspect "$1" | python3 -c "import json,sys; d=json.load(sys.stdin)[0]; print($2)"
}

# a container that must stay untouched by every failing command
sentinel() {
	b run -d --name sentinel "$IMG" sleep 1000 >/dev/null
}
sentinel_ok() {
	[ "$(field sentinel 'd["State"]["Status"]')" = running ]
}

@test "run: output, exit code, and pid 1 in its own pid namespace" {
	run b run --rm "$IMG" sh -c 'echo hello; echo $$; exit 7'
	[ "$status" -eq 7 ]
	[ "${lines[0]}" = hello ]
	[ "${lines[1]}" = 1 ]
	host_ns=$(readlink /proc/self/ns/pid)
	run b run --rm "$IMG" busybox readlink /proc/1/ns/pid
	echo "status $status: $output"
	[ "$status" -eq 0 ]
	[ -n "$output" ] && [ "$output" != "$host_ns" ]
	# --rm left nothing: no record, no bundle, no mount
	[ -z "$(b ps -aq)" ]
	[ -z "$(ls "$BERTH_ROOT/containers")" ]
	[ -z "$(ls "$BERTH_RUN/containers")" ]
	! grep -q "$BERTH_RUN/containers" /proc/mounts
}

@test "processes start with every signal at its default and none blocked: yes | head ends" {
	run -0 b run --rm "$IMG" cat /proc/self/status
	[[ "$output" == *"SigBlk:	0000000000000000"* ]]
	[[ "$output" == *"SigIgn:	0000000000000000"* ]]
	# a writer to a closed pipe dies of SIGPIPE (ignored, it would spin on EPIPE)
	run -0 timeout 20 "$BERTH" run --rm "$IMG" sh -c 'yes | head -c 100000 | busybox wc -c'
	[ "$output" = 100000 ]
	b run -d --name sigs "$IMG" sleep 100 >/dev/null
	run -0 b exec sigs cat /proc/self/status
	[[ "$output" == *"SigBlk:	0000000000000000"* ]]
	[[ "$output" == *"SigIgn:	0000000000000000"* ]]
	b rm -f sigs >/dev/null
}

@test "run -d, ps, logs, exec, stop, rm" {
	id=$(b run -d --name web "$IMG" sh -c 'i=0; while true; do echo line $i; i=$((i+1)); sleep 0.1; done')
	[ ${#id} -eq 64 ]
	run b ps
	[[ "$output" == *"${id:0:12}"*"Up "*web* ]]
	[ "$(b ps -q)" = "${id:0:12}" ]
	sleep 0.5
	run b logs --tail 1 web
	[[ "$output" == "line "* ]] && [ "${#lines[@]}" -eq 1 ]
	# exec: same pid namespace (it sees the init as pid 1), its own exit code
	run b exec web sh -c 'cat /proc/1/cmdline; exit 3'
	[ "$status" -eq 3 ]
	[[ "$output" == sh*"while true"* ]]
	run b exec -e X=42 -w /tmp web sh -c 'echo $X $(pwd)'
	[ "$output" = "42 /tmp" ]
	# exec -d answers once its process runs (it is there at once), or with why it cannot
	[ -z "$(b exec -d web sleep 1234)" ]
	[ "$(b exec web sh -c 'ps -o args | grep -c "^[s]leep 1234"')" = 1 ]
	run -127 b exec -d web nosuchcommand
	[[ "$output" == *"nosuchcommand: executable file not found"* ]]
	# sh as pid 1 ignores TERM: stop kills after the timeout
	start=$(date +%s%N)
	b stop -t 1 web
	end=$(date +%s%N)
	[ $(((end - start) / 1000000)) -lt 5000 ]
	[ "$(field web 'd["State"]["Status"]')" = exited ]
	[ "$(field web 'd["State"]["ExitCode"]')" = 137 ]
	[ -z "$(b ps -q)" ]
	[[ "$(b ps -a)" == *"Exited (137)"* ]]
	b rm web
	run b inspect web
	[ "$status" -ne 0 ]
	[[ "$output" == *"no such object: web"* ]]
	# rm -f of a running one: its init is gone when rm returns, not a zombie left to pid 1
	b run -d --name web2 "$IMG" sleep 1000 >/dev/null
	pid=$(b inspect -f '{{.State.Pid}}' web2)
	b rm -f web2 >/dev/null
	[ ! -e /proc/$pid ] || { grep State /proc/$pid/status; false; }
}

@test "stop sends the stop signal and waits; start runs the container again" {
	b run -d --name tt "$IMG" sh -c 'trap "echo got term; exit 0" TERM; while true; do sleep 0.1; done' >/dev/null
	sleep 0.3
	b stop tt
	[ "$(field tt 'd["State"]["ExitCode"]')" = 0 ]
	run b logs tt
	[[ "$output" == *"got term"* ]]
	b start tt
	[ "$(field tt 'd["State"]["Status"]')" = running ]
	sleep 0.3
	b kill -s TERM tt
	[ "$(b wait tt)" = 0 ]
	b restart tt >/dev/null
	[ "$(field tt 'd["State"]["Status"]')" = running ]
}

@test "pause freezes every process, unpause thaws them, stop works on a paused one" {
	# the counter file is replaced whole (a reader never sees it empty)
	b run -d --name pz "$IMG" sh -c 'i=0; while true; do i=$((i+1)); echo $i >/tmp/c.n; busybox mv /tmp/c.n /tmp/c; sleep 0.05; done' >/dev/null
	sleep 0.3
	b pause pz
	[ "$(field pz 'd["State"]["Status"]')" = paused ]
	[[ "$(b ps)" == *"(Paused)"*pz* ]]
	run b exec pz true
	[[ "$output" == *"paused: unpause it first"* ]]
	run b pause pz
	[[ "$output" == *"already paused"* ]]
	b unpause pz
	x=$(b exec pz cat /tmp/c)
	sleep 0.3
	[ "$(b exec pz cat /tmp/c)" -gt "$x" ]
	b pause pz
	b stop -t 1 pz
	[ "$(field pz 'd["State"]["Status"]')" = exited ]
}

@test "volumes: named ones outlive containers, anonymous ones go with rm -v, in-use ones stay; a new one is filled from the image" {
	[ "$(b volume create --label team=db data1)" = data1 ]
	b run --rm -v data1:/d "$IMG" sh -c 'echo kept >/d/f'
	[ "$(cat "$BERTH_ROOT/volumes/data1/_data/f")" = kept ]
	b run -d --name vu -v data1:/d -v /anon "$IMG" sleep 100 >/dev/null
	[ "$(b volume ls -q | wc -l)" -eq 2 ]
	run b volume rm data1
	[ "$status" -eq 1 ]
	[[ "$output" == *"volume data1 is in use by container vu"* ]]
	[ "$(b volume inspect data1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Labels"]["team"])')" = db ]
	b rm -f -v vu >/dev/null
	[ "$(b volume ls -q)" = data1 ]
	run b volume create "bad/name"
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid volume name"* ]]
	b volume prune >/dev/null
	[ -z "$(b volume ls -q)" ]
	[ ! -e "$BERTH_ROOT/volumes/data1" ]
	# a new volume over a directory of the image gets its files, owners and modes (Docker's
	# copy); only at a container's first start; nocopy leaves it empty
	b run --rm -v filled:/etc "$IMG" true
	[ "$(cat "$BERTH_ROOT/volumes/filled/_data/passwd")" = "$(b run --rm "$IMG" cat /etc/passwd)" ]
	[ "$(stat -c '%a %u' "$BERTH_ROOT/volumes/filled/_data/passwd")" = "$(b run --rm "$IMG" stat -c '%a %u' /etc/passwd)" ]
	b run -d --name filler -v refill:/etc "$IMG" sleep 100 >/dev/null
	b exec filler busybox rm /etc/passwd
	b restart -t 0 filler >/dev/null
	[ ! -e "$BERTH_ROOT/volumes/refill/_data/passwd" ]
	b rm -f filler >/dev/null
	b run --rm -v empty:/etc:nocopy "$IMG" true
	b run --rm --mount type=volume,src=empty2,dst=/etc,volume-nocopy "$IMG" true
	[ ! -e "$BERTH_ROOT/volumes/empty/_data/passwd" ] && [ ! -e "$BERTH_ROOT/volumes/empty2/_data/passwd" ]
	run b run --rm -v "$BERTH_TMP:/x:nocopy" "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"nocopy is for volumes, not host paths"* ]]
	run b run --rm -v v:/x:rshared "$IMG" true
	[[ "$output" == *"propagation rshared is not supported"* ]]
	b volume rm filled refill empty empty2 >/dev/null
}

@test "events: a live stream and a replay with filters" {
	b events --filter type=container --format json >"$BERTH_TMP/events" &
	track_pid $!
	sleep 0.3
	b run --rm --name ev1 "$IMG" sh -c 'exit 3' || true
	b run -d --name ev2 "$IMG" sleep 100 >/dev/null
	b pause ev2 >/dev/null
	b unpause ev2 >/dev/null
	b rm -f ev2 >/dev/null
	sleep 0.5
	actions=$(python3 -c 'import json,sys; print(" ".join(json.loads(l)["Action"] for l in open(sys.argv[1])))' "$BERTH_TMP/events")
	[ "$actions" = "create start die destroy create start pause unpause kill die destroy" ]
	run b events --since 5m --until 0s --filter event=die --filter container=ev1
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"container die "*"name=ev1"*"exitCode=3"* ]]
	run b events --filter bogus=1
	[ "$status" -eq 125 ]
}

@test "seccomp: a profile is enforced, compiled once and then loaded from the cache" {
	cat >"$BERTH_TMP/nomkdir.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
JSON
	for i in 1 2; do
		run b run --rm --security-opt seccomp="$BERTH_TMP/nomkdir.json" "$IMG" busybox mkdir /tmp/x
		[ "$status" -ne 0 ]
		[[ "$output" == *"Operation not permitted"* ]]
	done
	# one entry for the one profile used so far
	[ "$(ls "$BERTH_RUN/seccomp" | wc -l)" -eq 1 ]
	# an entry that is not for this profile is never used: it is compiled again
	for f in "$BERTH_RUN"/seccomp/*.bpf; do printf 'berth-seccomp-1\nforged\0AAAAAAAA' >"$f"; done
	run b run --rm --security-opt seccomp="$BERTH_TMP/nomkdir.json" "$IMG" busybox mkdir /tmp/x
	[[ "$output" == *"Operation not permitted"* ]]
	b run --rm "$IMG" busybox mkdir /tmp/x
	[ "$(ls "$BERTH_RUN/seccomp" | wc -l)" -eq 2 ]
	run b run --rm --security-opt seccomp=unconfined "$IMG" busybox mkdir /tmp/x
	[ "$status" -eq 0 ]
}

@test "the options reach the container" {
	mkdir "$BERTH_TMP/host"
	echo from-host >"$BERTH_TMP/host/file"
	run b run --rm -u user -w /tmp -h myhost -e FOO=bar --env-file <(echo BAZ=qux) \
		"$IMG" sh -c 'id -u; pwd; cat /etc/hostname; echo $FOO $BAZ'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 1000 ] && [ "${lines[1]}" = /tmp ]
	[ "${lines[2]}" = myhost ] && [ "${lines[3]}" = "bar qux" ]
	run b run --rm -u 1234:5678 "$IMG" id
	[ "$output" = "uid=1234 gid=5678" ]
	run b run --rm --entrypoint echo "$IMG" a b
	[ "$output" = "a b" ]
	run b run --rm -v "$BERTH_TMP/host:/data:ro" "$IMG" sh -c 'cat /data/file; echo x >/data/new'
	[ "${lines[0]}" = from-host ]
	[ "$status" -ne 0 ]
	[ ! -e "$BERTH_TMP/host/new" ]
	b run --rm -v "$BERTH_TMP/host:/data" "$IMG" sh -c 'echo x >/data/new'
	[ -e "$BERTH_TMP/host/new" ]
	# a named volume outlives its container
	b run --rm -v vol1:/v "$IMG" sh -c 'echo kept >/v/f'
	[ "$(b run --rm -v vol1:/v "$IMG" cat /v/f)" = kept ]
	run b run --rm --read-only --tmpfs /scratch "$IMG" sh -c 'echo x >/scratch/ok && echo x >/nope'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]]
	run b run --rm --cap-drop ALL "$IMG" busybox grep CapEff /proc/self/status
	[[ "$output" == *"0000000000000000" ]]
	run b run --rm "$IMG" busybox grep CapBnd /proc/self/status
	[[ "$output" == *"00000000a80425fb" ]]
	run b run --rm --sysctl kernel.shmmax=123456 "$IMG" cat /proc/sys/kernel/shmmax
	[ "$output" = 123456 ]
	b run -d --name lab -l tier=web --stop-signal USR1 --restart on-failure:2 "$IMG" true >/dev/null
	[ "$(field lab 'd["Config"]["Labels"]["tier"]')" = web ]
	[ "$(field lab 'd["Name"]')" = /lab ]
	[ "$(field lab 'd["HostConfig"]["RestartPolicy"]["Name"]')" = on-failure ]
	# --add-host, --dns*, --shm-size; on the default bridge too, where netd rewrites the files
	for net in none bridge; do
		run b run --rm --network $net --add-host db:10.1.2.3 --add-host v6:fe80::1 \
			--dns 192.0.2.53 --dns-search example.org --dns-option ndots:2 --shm-size 16m \
			"$IMG" sh -c 'cat /etc/hosts /etc/resolv.conf; df -k /dev/shm'
		[ "$status" -eq 0 ]
		[[ "$output" == *$'10.1.2.3\tdb'* ]] && [[ "$output" == *$'fe80::1\tv6'* ]]
		[[ "$output" == *"nameserver 192.0.2.53"* ]]
		[ "$(grep -c '^nameserver' <<<"$output")" = 1 ]
		[[ "$output" == *"search example.org"* ]] && [[ "$output" == *"options ndots:2"* ]]
		[[ "$output" =~ shm\ +16384\  ]]
	done
	# --device with its permissions: 10:259 is in no default rule
	run b run --rm --network none --device /dev/cpu_dma_latency:/dev/lat:r "$IMG" \
		sh -c 'head -c 4 /dev/lat | wc -c; printf "\0\0\0\0" >/dev/lat || echo denied'
	[ "${lines[0]}" = 4 ]
	[[ "$output" == *denied* ]]
	run b run --rm --network none --device /dev/cpu_dma_latency "$IMG" \
		sh -c 'printf "\0\0\0\0" >/dev/cpu_dma_latency && echo written'
	[ "$output" = written ]
}

@test "memory, pids and cpu limits are real" {
	run b run --name oom -m 16m "$IMG" sh -c 'head -c 100m /dev/zero | tail >/dev/null'
	[ "$status" -eq 137 ]
	[ "$(field oom 'd["State"]["OOMKilled"]')" = True ]
	[ "$(field oom 'd["HostConfig"]["Memory"]')" = 16777216 ]
	run b run --rm --pids-limit 5 "$IMG" sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; wait'
	[[ "$output" == *"can't fork"* || "$output" == *"Resource temporarily unavailable"* ]]
	id=$(b run -d --cpus 0.5 "$IMG" sleep 100)
	if [ -f /sys/fs/cgroup/cpu/berth/$id/cpu.cfs_quota_us ]; then
		[ "$(cat /sys/fs/cgroup/cpu/berth/$id/cpu.cfs_quota_us)" = 50000 ]
	else
		[ "$(cat /sys/fs/cgroup/berth/$id/cpu.max)" = "50000 100000" ]
	fi
}

# a container's cgroup file in the v1 or the v2 layout
cgfile() {
	local id v1=$3
	id=$(b inspect -f '{{.Id}}' "$1")
	if [ -d "/sys/fs/cgroup/$v1/berth/$id" ]; then
		cat "/sys/fs/cgroup/$v1/berth/$id/$2"
	else
		cat "/sys/fs/cgroup/berth/$id/$4"
	fi
}

@test "update: limits change in a running container and stay for the next start; bad values refused" {
	b run -d --name up -m 64m "$IMG" sleep 1000 >/dev/null
	[ "$(b update -m 24m --pids-limit 20 --cpus 0.5 --restart on-failure:2 up)" = up ]
	[ "$(cgfile up memory.limit_in_bytes memory memory.max)" = 25165824 ]
	[ "$(cgfile up pids.max pids pids.max)" = 20 ]
	[[ "$(cgfile up cpu.cfs_quota_us cpu cpu.max)" == 50000* ]]
	[ "$(b inspect -f '{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}' up)" = "25165824 20 on-failure" ]
	# the new memory limit really holds: more than it is killed
	run b exec up sh -c 'head -c 100m /dev/zero | tail >/dev/null'
	[ "$status" -eq 137 ]
	# kept for the next start
	b restart -t 0 up >/dev/null
	[ "$(cgfile up memory.limit_in_bytes memory memory.max)" = 25165824 ]
	# lifted
	b update -m 0 --pids-limit -1 up >/dev/null
	[ "$(cgfile up pids.max pids pids.max)" = max ]
	[ "$(b inspect -f '{{.HostConfig.Memory}}' up)" = 0 ]
	# a stopped container: only its record, used at its start
	b stop -t 0 up >/dev/null
	b update --pids-limit 30 up >/dev/null
	b start up >/dev/null
	[ "$(cgfile up pids.max pids pids.max)" = 30 ]
	# bad input: a clear error, nothing changed
	run b update -m 1k up
	[ "$status" -eq 1 ]
	[[ "$output" == *"minimum memory limit is 6 MiB"* ]]
	run b update --cpus lots up
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid --cpus 'lots'"* ]]
	run b update --restart sometimes up
	[ "$status" -ne 0 ]
	[[ "$output" == *"--restart"* ]]
	run b update up
	[ "$status" -eq 125 ]
	[[ "$output" == *"needs at least one of --memory"* ]]
	run b update --pids-limit 5 nosuchcontainer
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such container"* ]]
	b run -d --rm --name tmp "$IMG" sleep 100 >/dev/null
	run b update --restart always tmp
	[[ "$output" == *"--restart always and --rm conflict"* ]]
	[ "$(cgfile up pids.max pids pids.max)" = 30 ]
	[ "$(b inspect -f '{{.HostConfig.PidsLimit}}' up)" = 30 ]
}

@test "--init reaps zombies and runs the command under a small init" {
	run b run --rm --init "$IMG" sh -c 'cat /proc/1/cmdline; echo'
	[[ "$output" == /sbin/berth-init* ]]
	# an orphan whose parent does not reap: the init does
	run b run --rm --init "$IMG" sh -c '(sleep 0.1 &) ; sleep 0.5; busybox ps -o stat,comm | busybox grep -c "^Z" || true'
	[ "${lines[-1]}" = 0 ]
}

@test "--pid host, --ipc host, --uts host share the host's namespaces; exec too; other values refused" {
	run -0 b run --rm --pid host --ipc host --uts host "$IMG" sh -c \
		'for n in pid ipc uts; do ls -l /proc/self/ns/$n | sed "s/.*-> //"; done; cat /proc/sys/kernel/hostname'
	[ "${lines[0]}" = "$(readlink /proc/self/ns/pid)" ]
	[ "${lines[1]}" = "$(readlink /proc/self/ns/ipc)" ]
	[ "${lines[2]}" = "$(readlink /proc/self/ns/uts)" ]
	[ "${lines[3]}" = "$(cat /proc/sys/kernel/hostname)" ]
	# the host's /dev/shm is the container's
	probe="berth-test-shm-$$"
	run -0 b run --rm --ipc host "$IMG" sh -c ": >/dev/shm/$probe"
	[ -f "/dev/shm/$probe" ]
	rm -f "/dev/shm/$probe"
	# without them, the container's own
	run -0 b run --rm "$IMG" sh -c 'ls -l /proc/self/ns/pid | sed "s/.*-> //"'
	[ "$output" != "$(readlink /proc/self/ns/pid)" ]
	b run -d --name hostpid --pid host "$IMG" sleep 100 >/dev/null
	run -0 b exec hostpid cat /proc/1/comm
	[ "$output" = "$(cat /proc/1/comm)" ]
	b rm -f hostpid >/dev/null
	run -125 b run --rm --pid container:x "$IMG" true
	[[ "$output" == *"invalid --pid container:x: no such container"* ]]
	run -125 b run --rm --pid other "$IMG" true
	[[ "$output" == *"invalid --pid 'other': the container's own, host or container:NAME"* ]]
	run -125 b run --rm --uts private "$IMG" true
	[ -z "$(b ps -aq)" ]
}

@test "a terminal: tty inside, its size, and exit code" {
	run python3 "$SRC/tests/integration/ttyrun.py" 30 100 'tty; busybox stty size; exit 3\n' \
		"$BERTH" run -it --rm "$IMG" sh
	[ "$status" -eq 3 ]
	[[ "$output" == *"/dev/"* ]]
	[[ "$output" == *"30 100"* ]]
	# the detach keys leave it running
	run python3 "$SRC/tests/integration/ttyrun.py" 24 80 '\x10\x11' \
		"$BERTH" run -it --name det "$IMG" sh
	[ "$status" -eq 0 ]
	[ "$(field det 'd["State"]["Status"]')" = running ]
}

@test "stdin reaches the container and its EOF closes it" {
	run bash -c "printf 'one\ntwo\n' | '$BERTH' run -i --rm '$IMG' cat"
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'one\ntwo')" ]
	# without -i the container's stdin is closed at once
	run bash -c "echo nope | '$BERTH' run --rm '$IMG' cat"
	[ "$status" -eq 0 ] && [ -z "$output" ]
}

@test "logs: --tail, --since, -t, -f until the container stops, stderr kept apart" {
	b run -d --name lg "$IMG" sh -c 'echo out1; echo err1 >&2; sleep 1; echo out2' >/dev/null
	run -0 b logs -f lg
	# two pipes: the order across stdout and stderr is not defined, within each it is
	[[ "$output" == *out1*out2* ]] && [[ "$output" == *err1* ]]
	[ "$(b logs lg 2>/dev/null | tr '\n' ' ')" = "out1 out2 " ]
	[ "$(b logs lg 2>&1 >/dev/null)" = err1 ]
	[ "$(b logs --tail 1 lg)" = out2 ]
	[[ "$(b logs -t --tail 1 lg)" == 20*T*Z\ out2 ]]
	[ -z "$(b logs --since 0s lg 2>&1)" ]
	[ -z "$(b logs --until 10m lg 2>&1)" ]
	[ "$(b logs --since 1m lg 2>/dev/null | wc -l)" -eq 2 ]
	t2=$(b logs -t lg 2>/dev/null | awk '$2 == "out2" {print $1}')
	[ "$(b logs --since "$t2" lg 2>/dev/null)" = out2 ]
	[ "$(b logs --until "$t2" lg 2>/dev/null)" = out1 ]
	run b logs --tail x lg
	[ "$status" -eq 125 ]
}

@test "log rotation: --log-opt max-size and max-file keep at most N files of at most the size; bad options refused" {
	id=$(b run -d --log-opt max-size=16k --log-opt max-file=2 "$IMG" sh -c \
		'i=0; while [ $i -lt 2000 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done')
	b wait "$id" >/dev/null
	logs=("$BERTH_ROOT/containers/$id/$id-json.log"*)
	[ "${#logs[@]}" -eq 2 ]
	for f in "${logs[@]}"; do [ "$(stat -c %s "$f")" -le 16384 ]; done
	[ "$(b logs --tail 1 "$id")" = line-1999-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx ]
	[ "$(field "$id" 'd["HostConfig"]["LogConfig"]["Config"]["max-file"]')" = 2 ]
	sentinel
	for bad in "max-size=12q|max-size must be a size such as 10m" "max-size=2k|max-size=2048: a size of at least 4096 bytes" \
		"max-file=0|max-file must be a positive number" "compress=true|json-file logs take max-size= and max-file="; do
		refused 125 "${bad#*|}" b run --rm --log-opt "${bad%%|*}" "$IMG" true
	done
	[ "$(b ps -aq | wc -l)" -eq 2 ]
	sentinel_ok
}

@test "attach sees live output; two attaches see the same stream" {
	b run -d --name at "$IMG" sh -c 'sleep 2; for i in 1 2 3; do echo tick $i; done' >/dev/null
	b attach --no-stdin at >"$BERTH_TMP/a1" &
	p1=$!
	b attach --no-stdin at >"$BERTH_TMP/a2" &
	p2=$!
	track_pid "$p1"
	track_pid "$p2"
	wait "$p1" "$p2"
	[ "$(cat "$BERTH_TMP/a1")" = "$(printf 'tick 1\ntick 2\ntick 3')" ]
	cmp "$BERTH_TMP/a1" "$BERTH_TMP/a2"
	run b attach at
	[ "$status" -ne 0 ]
	[[ "$output" == *"not running"* ]]
}

@test "live restore: kill -9 containerd, restart it, everything still works" {
	b run -d --name live "$IMG" sh -c 'i=0; while true; do echo n $i; i=$((i+1)); sleep 0.1; done' >/dev/null
	b run -d --name brief "$IMG" sh -c 'sleep 1; exit 4' >/dev/null
	kill -9 "$(daemon_pid containerd)"
	sleep 1.5
	b system start >/dev/null
	[ "$(field live 'd["State"]["Status"]')" = running ]
	# the exit that happened while it was away was collected
	[ "$(field brief 'd["State"]["Status"]')" = exited ]
	[ "$(field brief 'd["State"]["ExitCode"]')" = 4 ]
	[[ "$(b logs --tail 1 live)" == "n "* ]]
	[ "$(b logs live | wc -l)" -gt 15 ]
	[ "$(b exec live echo ok)" = ok ]
	b stop -t 1 live >/dev/null
	[ "$(field live 'd["State"]["Status"]')" = exited ]
}

@test "restart policies: on-failure retries N times, always comes back on a fresh boot" {
	b run -d --name flaky --restart on-failure:2 "$IMG" sh -c 'exit 1' >/dev/null
	for i in $(seq 50); do
		[ "$(field flaky 'd["RestartCount"]')" = 2 ] && [ "$(field flaky 'd["State"]["Status"]')" = exited ] && break
		sleep 0.1
	done
	[ "$(field flaky 'd["RestartCount"]')" = 2 ]
	[ "$(field flaky 'd["State"]["Status"]')" = exited ]
	b run -d --name keep --restart always "$IMG" sleep 1000 >/dev/null
	# a "reboot": every shim and container gone, $RUN empty
	b system stop >/dev/null
	for f in "$BERTH_RUN"/containers/*/shim.pid; do kill -9 "$(cat "$f")"; done
	for f in "$BERTH_RUN"/containers/*/rt/*/state.json; do
		kill -9 "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$f")" 2>/dev/null || true
	done
	sleep 0.5
	awk -v t="$BERTH_RUN" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r | xargs -r umount -l
	rm -rf "$BERTH_RUN"/containers
	for id in $(ls "$BERTH_ROOT/containers"); do
		rmdir /sys/fs/cgroup/*/berth/"$id" /sys/fs/cgroup/berth/"$id" 2>/dev/null || true
	done
	b system start >/dev/null
	[ "$(field keep 'd["State"]["Status"]')" = running ]
	[ "$(field flaky 'd["State"]["Status"]')" = exited ]
}

@test "bad input: one clear line, non-zero exit, other containers untouched; -v makes a missing host path, never through a symlink" {
	sentinel
	# not here, and no registry answers for it (nothing leaves this machine)
	run b run --rm 127.0.0.1:9/no/such:image true
	[ "$status" -eq 125 ]
	[[ "$output" == *"Unable to find image '127.0.0.1:9/no/such:image' locally"* ]]
	[[ "$output" == *"berth: pull: registry http://127.0.0.1:9"* ]]
	run b rm nosuchcontainer
	[ "$status" -eq 1 ]
	[ "$output" = "berth: no such container: nosuchcontainer" ]
	run b run --rm --device /nonexistent "$IMG" true
	[ "$status" -eq 125 ]
	[ "$output" = "berth: invalid --device /nonexistent: No such file or directory" ]
	run b run --rm --device /etc/passwd "$IMG" true
	[ "$output" = "berth: invalid --device /etc/passwd: not a character or block device" ]
	run b run --rm --add-host justaname "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--add-host"*"justaname"* ]]
	run b run --rm --dns 999.1.1.1 "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--dns"*"999.1.1.1"* ]]
	# --pull never: a missing image is an error, nothing is fetched
	run b run --rm --pull never nosuch/image true
	[ "$status" -eq 125 ]
	[[ "$output" == *"no such image: nosuch/image is not present locally"* ]]
	[[ "$output" != *"Unable to find image"* ]]
	run b run --rm --pull sometimes "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--pull"*"always, missing or never"* ]]
	# --cidfile: the id written; a file already there refuses the run
	b run -d --cidfile "$BERTH_TMP/cid" --name cidc "$IMG" sleep 100 >/dev/null
	[ "$(cat "$BERTH_TMP/cid")" = "$(b inspect -f '{{.Id}}' cidc)" ]
	run b run --rm --cidfile "$BERTH_TMP/cid" "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"container ID file found"* ]]
	b rm -f cidc >/dev/null
	run b run --name sentinel "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *'"/sentinel" is already in use'* ]]
	run b run --rm -m 1k "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid --memory"*"6 MiB"* ]]
	run b run --rm -m lots "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid --memory 'lots'"* ]]
	run b run --rm --cpus 999 "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid --cpus"* ]]
	# -v of a missing host path makes it (Docker's way), never through a symlink
	run b run --rm -v "$BERTH_TMP/made/sub:/x" "$IMG" sh -c 'echo in >/x/f'
	[ "$status" -eq 0 ]
	[ "$(cat "$BERTH_TMP/made/sub/f")" = in ] && [ "$(stat -c %a "$BERTH_TMP/made/sub")" = 755 ]
	ln -s / "$BERTH_TMP/rootlink"
	run b run --rm -v "$BERTH_TMP/rootlink/berth-made-$$:/x" "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"its component 'rootlink' is a symlink or not a directory"* ]]
	[ ! -e "/berth-made-$$" ]
	run b run --rm -v "$BERTH_TMP/made/../other:/x" "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"bind source path $BERTH_TMP/made/../other"* ]]
	[ ! -e "$BERTH_TMP/other" ]
	run b run --rm --mount type=bind,src=/no/such/dir,dst=/x "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"bind source path /no/such/dir does not exist"* ]]
	run b rm sentinel
	[ "$status" -eq 1 ]
	[[ "$output" == *"container sentinel is running"* ]]
	echo '{"defaultAction": "SCMP_ACT_NOPE"}' >"$BERTH_TMP/bad.json"
	run b run --rm --security-opt seccomp="$BERTH_TMP/bad.json" "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"seccomp"* ]]
	echo '{not json' >"$BERTH_TMP/bad2.json"
	run b run --rm --security-opt seccomp="$BERTH_TMP/bad2.json" "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"not valid JSON"* ]]
	run b run --rm --sysctl kernel.hostname=x "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--sysctl kernel.hostname is not allowed"* ]]
	run -127 b run --rm "$IMG" nosuchcommand
	[[ "$output" == *"nosuchcommand: executable file not found"* ]]
	run -126 b run --rm "$IMG" /etc
	[[ "$output" == *"/etc: Is a directory"* ]]
	run b run --rm --restart always "$IMG" true
	[ "$status" -eq 125 ]
	run b run --rm --network nosuchnet "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--network nosuchnet"*"no such network"* ]]
	sentinel_ok
	# the failed runs with --rm left nothing behind: no record, no layer, no bundle
	[ "$(b ps -aq)" = "$(b ps -q --filter name=sentinel)" ]
	[ "$(ls "$BERTH_ROOT/containers" | wc -l)" -eq 1 ]
	[ "$(ls "$BERTH_RUN/containers" | wc -l)" -eq 1 ]
}

@test "names, prefixes, rename, inspect and ps filters" {
	id=$(b create --name first -l k=v "$IMG" sleep 100)
	[ "$(field first 'd["State"]["Status"]')" = created ]
	[ "$(field "${id:0:5}" 'd["Id"]')" = "$id" ]
	b rename first second
	[ "$(field second 'd["Name"]')" = /second ]
	run b inspect first
	[ "$status" -ne 0 ]
	b start second >/dev/null
	other=$(b run -d "$IMG" sleep 100)
	name=$(field "$other" 'd["Name"]')
	[[ "$name" =~ ^/[a-z]+_[a-z]+[0-9]*$ ]]
	[ "$(b ps -q --filter label=k=v)" = "${id:0:12}" ]
	[ "$(b ps -q --filter name=sec)" = "${id:0:12}" ]
	[ "$(b ps -q -n 1)" = "${other:0:12}" ]
	[ "$(b ps --format json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ]
	run b top second
	[[ "$output" == *"sleep 100"* ]]
	run b stats --no-stream second
	[[ "$output" == *"second"*"MiB"* ]]
	b exec second sh -c 'head -c 300000 /dev/zero >/big'
	run b ps -s --filter name=second
	[[ "${lines[0]}" == *SIZE ]]
	[[ "${lines[1]}" == *"kB (virtual "* ]]
	run b system df
	[[ "$output" == *Images*Containers*"Local Volumes"* ]]
	[[ "$(echo "$output" | awk '$1 == "Containers" {print $2}')" == 2 ]]
	run b rename second "bad name"
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid container name"* ]]
}

@test "--format templates: inspect -f, ps and images rows, tables; a bad template is a clear error" {
	sentinel
	id=$(b run -d --name tpl -l app=web -l tier=db "$IMG" sleep 100)
	# the pid inspect gives is the container's init, and it runs in its own pid namespace
	pid=$(b inspect -f '{{.State.Pid}}' tpl)
	[ "$(cat /proc/$pid/comm)" = sleep ]
	[ "$(readlink /proc/$pid/ns/pid)" != "$(readlink /proc/self/ns/pid)" ]
	[ "$(b inspect --format '{{.Name}} {{json .Config.Cmd}} {{index .Config.Labels "app"}}' tpl)" = '/tpl ["sleep","100"] web' ]
	[ "$(b inspect -f '{{range $k, $v := .Config.Labels}}{{$k}}={{$v}},{{end}}' tpl)" = 'app=web,tier=db,' ]
	[ "$(b inspect -f '{{if .State.Running}}up{{else}}down{{end}} {{.Name | upper}}' tpl sentinel)" = $'up /TPL\nup /SENTINEL' ]
	[ "$(b ps --filter name=tpl --format '{{.ID}} {{.Names}} {{.State}} {{.Labels}}')" = "${id:0:12} tpl running app=web,tier=db" ]
	run b ps --format 'table {{.Names}}\t{{.Image}}'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^NAMES\ +IMAGE$ ]]
	[[ "$output" == *"tpl "*"$IMG"* ]]
	[ "$(b images --format '{{.Repository}}:{{.Tag}}' "$IMG")" = "$IMG:latest" ]
	[ "$(b image inspect -f '{{.Id}}' "$IMG")" = "$(b images --no-trunc -q "$IMG")" ]
	# inspect takes any object, as Docker's: a name no container has is an image, a network...
	[ "$(b inspect -f '{{.Id}}' "$IMG")" = "$(b images --no-trunc -q "$IMG")" ]
	[ "$(b inspect -f '{{.Name}}' bridge tpl)" = $'bridge\n/tpl' ]
	run b inspect nothere
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such object: nothere"* ]]
	run b inspect --type image tpl
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such image: tpl"* ]]
	[ "$(b network inspect -f '{{.Name}} {{.Driver}}' bridge)" = "bridge bridge" ]
	[ "$(b network ls --format '{{.Name}}:{{.Driver}}:{{.Internal}}')" = "bridge:bridge:false" ]
	b volume create -l k=v tplvol >/dev/null
	[ "$(b volume ls --format '{{.Name}} {{.Driver}} {{.Labels}} {{.InUse}}')" = "tplvol local k=v no" ]
	[ "$(b volume inspect -f '{{.Name}}' tplvol)" = tplvol ]
	run b stats --no-stream --format '{{.Name}} {{.PIDs}} {{.MemUsage}}' tpl
	[[ "$output" =~ ^tpl\ 1\ [0-9.]+MiB\ / ]]
	# a stopped container: zeros, as Docker shows, never -nan
	b run --name tpl-done "$IMG" true
	[ "$(b stats --no-stream --format '{{.CPUPerc}} {{.MemUsage}} {{.PIDs}}' tpl-done)" = "0.00% 0B / 0B 0" ]
	# a field the document lacks: exit 1 naming it; a template that does not parse: 125 saying where
	run b inspect -f '{{.State.Nope}}' tpl
	[ "$status" -eq 1 ]
	[[ "$output" == *'executing at <.State.Nope>: map has no entry for key "Nope"'* ]]
	run b ps --format '{{.Names'
	[ "$status" -eq 125 ]
	[[ "$output" == *"unclosed action"* ]]
	run b inspect -f '{{if .Id}}x' tpl
	[ "$status" -eq 125 ]
	[[ "$output" == *"{{end}} missing"* ]]
	sentinel_ok
	[ "$(b inspect -f '{{.State.Status}}' tpl)" = running ]
}

@test "system prune: stopped containers, unused networks, dangling images; volumes only when asked" {
	sentinel
	b run --name gone1 "$IMG" true
	b network create pnet >/dev/null
	b volume create pvol >/dev/null
	# no: nothing goes
	echo n | b system prune >/dev/null 2>&1
	b inspect gone1 >/dev/null
	b network inspect pnet >/dev/null
	run b system prune -f
	[ "$status" -eq 0 ]
	[[ "$output" == *"Deleted Containers:"* ]]
	run b inspect --type container gone1
	[ "$status" -eq 1 ]
	run b network inspect pnet
	[ "$status" -eq 1 ]
	b volume inspect pvol >/dev/null
	b image inspect "$IMG" >/dev/null
	sentinel_ok
	b system prune -f --volumes >/dev/null
	run b volume inspect pvol
	[ "$status" -eq 1 ]
	sentinel_ok
}

# wait (up to 5 s) until a container's health is $2
health_is() {
	local i
	for i in $(seq 100); do
		[ "$(b inspect -f '{{.State.Health.Status}}' "$1")" = "$2" ] && return 0
		sleep 0.05
	done
	b inspect -f '{{json .State.Health}}' "$1"
	return 1
}

@test "health checks: starting, unhealthy after the retries, healthy again; timeouts killed; the image's HEALTHCHECK" {
	b run -d --name hc --health-cmd 'test -e /tmp/ok' --health-interval 200ms \
		--health-retries 2 "$IMG" sleep 100 >/dev/null
	[[ "$(b ps --filter name=hc --format '{{.Status}}')" == *"(health: starting)" ]]
	health_is hc unhealthy
	[ "$(b inspect -f '{{.State.Health.FailingStreak}}' hc)" -ge 2 ]
	[ "$(b inspect -f '{{(index .State.Health.Log 0).ExitCode}}' hc)" = 1 ]
	b exec hc sh -c '>/tmp/ok'
	health_is hc healthy
	[[ "$(b ps --filter name=hc --format '{{.Status}}')" == *"(healthy)" ]]
	[ "$(b inspect -f '{{.State.Health.FailingStreak}}' hc)" = 0 ]
	run b events --since 1m --until 0s --filter container=hc
	[[ "$output" == *"health_status: unhealthy"*"health_status: healthy"* ]]
	# containerd killed and back: the health goes on from where it was, not "starting"
	n=$(b inspect -f '{{len .State.Health.Log}}' hc)
	kill -9 "$(daemon_pid containerd)"
	b system start >/dev/null
	[ "$(b inspect -f '{{.State.Health.Status}}' hc)" = healthy ]
	[ "$(b inspect -f '{{len .State.Health.Log}}' hc)" -ge "$n" ]
	# a new start begins anew: no check in its log is older than the start
	b restart -t 0 hc >/dev/null
	started=$(b inspect -f '{{.State.StartedAt}}' hc)
	health_is hc healthy
	[ "$(b inspect -f '{{len .State.Health.Log}}' hc)" -ge 1 ]
	for t in $(b inspect -f '{{range .State.Health.Log}}{{.Start}} {{end}}' hc); do
		[[ ! "$t" < "$started" ]] || { echo "check at $t is from before the start at $started"; false; }
	done
	# a check over its timeout fails and is killed: no pile of sleeping checks
	b run -d --name slow --health-cmd 'sleep 30' --health-interval 300ms \
		--health-timeout 100ms --health-retries 1 "$IMG" sleep 100 >/dev/null
	health_is slow unhealthy
	[[ "$(b inspect -f '{{(index .State.Health.Log 0).Output}}' slow)" == *"exceeded timeout"* ]]
	sleep 1.5
	[ "$(b top slow | grep -c 'sleep 30')" -le 1 ]
	# the image's HEALTHCHECK, and --no-healthcheck turning it off
	mkdir "$BERTH_TMP/hctx"
	printf 'FROM %s\nHEALTHCHECK --interval=200ms CMD true\n' "$IMG" >"$BERTH_TMP/hctx/Dockerfile"
	b build -q -t hcimg "$BERTH_TMP/hctx" >/dev/null
	b run -d --name fromimg hcimg sleep 100 >/dev/null
	health_is fromimg healthy
	b run -d --name off --no-healthcheck hcimg sleep 100 >/dev/null
	sleep 0.5
	[ "$(b inspect -f '{{.State.Health}}' off)" = "<no value>" ] ||
		! b inspect -f '{{.State.Health}}' off
	run b run --rm --health-interval 5x "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"--health-interval"* ]]
}

@test "two hundred concurrent run -d from parallel clients" {
	for i in $(seq 200); do
		b run -d "$IMG" true >"$BERTH_TMP/id.$i" 2>&1 &
	done
	wait
	cat "$BERTH_TMP"/id.* | sort -u >"$BERTH_TMP/ids"
	[ "$(wc -l <"$BERTH_TMP/ids")" -eq 200 ]
	! grep -v '^[0-9a-f]\{64\}$' "$BERTH_TMP/ids"
	[ "$(b ps -a --format json | python3 -c 'import json,sys; print(len({c["Names"][0] for c in json.load(sys.stdin)}))')" -eq 200 ]
}
