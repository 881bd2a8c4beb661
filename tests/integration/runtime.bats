#!/usr/bin/env bats
# berth-runtime against the real kernel: isolation, limits, lifecycle, bad specs, security.

load helpers
load runtime_helpers
bats_require_minimum_version 1.5.0

@test "pid 1 is the container's own, and every namespace differs from the host's" {
	args '["sh", "-c", "echo pid=$$; for n in pid net ipc uts mnt cgroup; do echo $n=$(readlink /proc/1/ns/$n); done"]'
	run rt run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"pid=1"* ]]
	for n in pid net ipc uts mnt cgroup; do
		host=$(readlink /proc/self/ns/$n)
		inside=$(grep "^$n=" <<<"$output" | cut -d= -f2)
		[ -n "$inside" ]
		[ "$inside" != "$host" ]
	done
	assert_clean "$ID"
}

@test "hostname, uid, gid and additional groups come from the spec" {
	args '["sh", "-c", "hostname; id -u; id -g; id -G"]'
	edit 'c["hostname"] = "box42"' 'c["process"]["user"] = {"uid": 1000, "gid": 1001, "additionalGids": [10, 20]}'
	run rt run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = box42 ]
	[ "${lines[1]}" = 1000 ]
	[ "${lines[2]}" = 1001 ]
	[[ "${lines[3]}" == "1001 10 20" ]]
}

@test "CapEff, CapBnd and no_new_privs match the spec" {
	args '["sh", "-c", "grep -E \"^(CapEff|CapPrm|CapBnd|CapAmb|NoNewPrivs)\" /proc/self/status"]'
	run rt run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	# Docker's 14 default capabilities
	[[ "$output" == *"CapEff:	00000000a80425fb"* ]]
	[[ "$output" == *"CapBnd:	00000000a80425fb"* ]]
	[[ "$output" == *"NoNewPrivs:	1"* ]]
	edit 'c["process"]["capabilities"] = {"bounding": ["CAP_NET_RAW", "CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL", "CAP_NET_RAW"], "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}' \
		'c["process"]["noNewPrivileges"] = False' 'c["process"]["user"] = {"uid": 1000, "gid": 1000}'
	run rt run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	# not root: what survives exec is the ambient set
	[[ "$output" == *"CapEff:	0000000000000020"* ]]
	[[ "$output" == *"CapPrm:	0000000000000020"* ]]
	[[ "$output" == *"CapBnd:	0000000000002020"* ]]
	[[ "$output" == *"CapAmb:	0000000000000020"* ]]
	[[ "$output" == *"NoNewPrivs:	0"* ]]
}

@test "seccomp: the filter is on and a denied syscall returns the spec's errno" {
	args '["sh", "-c", "grep ^Seccomp: /proc/self/status; mkdir /tmp/x"]'
	edit 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 95}]}'
	run rt run -b "$B" "$ID"
	[ "$status" -eq 1 ]
	[[ "$output" == *"Seccomp:	2"* ]]
	[[ "$output" == *"can't create directory '/tmp/x': Operation not supported"* ]]
}

@test "masked paths are empty, read-only paths refuse writes, a read-only root too" {
	args '["sh", "-c", "wc -c < /proc/keys; ls /sys/firmware | wc -l; echo x > /proc/sys/kernel/domainname && echo wrote-sys; touch /newfile && echo wrote-root"]'
	edit 'c["root"]["readonly"] = True'
	run rt run -b "$B" "$ID"
	[[ "${lines[0]}" = 0 ]]
	[[ "${lines[1]}" = 0 ]]
	[[ "$output" == *"Read-only file system"* ]]
	[[ "$output" != *"wrote-sys"* ]]
	[[ "$output" != *"wrote-root"* ]]
}

@test "only fds 0-2 reach the container process" {
	args '["sh", "-c", "ls /proc/1/fd; true"]'
	exec 7>"$BERTH_TMP/leak"
	run rt run -b "$B" "$ID"
	exec 7>&-
	[ "$status" -eq 0 ]
	[ "$(echo $output)" = "0 1 2" ]
}

@test "a memory hog dies of OOM and the exit record says so" {
	args '["sh", "-c", "tail /dev/zero"]'
	edit 'c["linux"]["resources"]["memory"] = {"limit": 33554432, "swap": 33554432}'
	run rt run --keep -b "$B" "$ID"
	[ "$status" -eq 137 ]
	[ "$(st "$ID" status)" = stopped ]
	[ "$(st "$ID" exitCode)" = 137 ]
	[ "$(st "$ID" oomKilled)" = true ]
	grep -q '"oom_killed":true' "$STATE/$ID/exit"
	rt delete "$ID"
	assert_clean "$ID"
}

@test "a pids limit stops a fork loop" {
	args '["sh", "-c", "i=0; while [ $i -lt 30 ]; do sleep 5 & i=$((i+1)); done; echo all-started"]'
	edit 'c["linux"]["resources"]["pids"] = {"limit": 8}'
	run rt run -b "$B" "$ID"
	[[ "$output" == *"can't fork"* ]]
	[[ "$output" != *"all-started"* ]]
	assert_clean "$ID"
}

@test "exit codes and signals are recorded" {
	args '["sh", "-c", "exit 42"]'
	run rt run -b "$B" "$ID"
	[ "$status" -eq 42 ]
	args '["sleep", "100"]'
	rt run --keep -b "$B" "$ID-k" &
	runner=$!
	track_pid $runner
	for i in $(seq 200); do [ -f "$STATE/$ID-k/state.json" ] && break; sleep 0.02; done
	sleep 0.1
	rt kill "$ID-k" KILL
	rc=0
	wait $runner || rc=$?
	[ "$rc" -eq 137 ]
	grep -q '"exit_code":137,"signal":9' "$STATE/$ID-k/exit"
	[ "$(st "$ID-k" status)" = stopped ]
	rt delete "$ID-k"
	assert_clean "$ID-k"
}

@test "create holds the process before exec; start runs it; state follows" {
	args '["sh", "-c", "echo started > /tmp/mark; sleep 100"]'
	rt create -b "$B" --pid-file "$BERTH_TMP/pid" "$ID"
	pid=$(cat "$BERTH_TMP/pid")
	[ "$(st "$ID" status)" = created ]
	[ "$(st "$ID" pid)" = "$pid" ]
	# held: still the runtime, not yet sh
	[ "$(readlink /proc/$pid/exe)" != "$B/rootfs/bin/busybox" ]
	rt start "$ID"
	for i in $(seq 100); do [ -e "/proc/$pid/root/tmp/mark" ] && break; sleep 0.02; done
	[ -e "/proc/$pid/root/tmp/mark" ]
	[ "$(st "$ID" status)" = running ]
	run rt start "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"already running"* ]]
	# a running container is not deleted without --force
	run rt delete "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"is running: stop it first or use delete --force"* ]]
	rt delete --force "$ID"
	[ ! -d "/proc/$pid" ] || grep -q '^State:.*Z' /proc/$pid/status
	assert_clean "$ID"
}

@test "kill with a signal name or number, --all, and list" {
	args '["sh", "-c", "trap \"exit 3\" TERM; sleep 100 & wait"]'
	rt run -d -b "$B" "$ID"
	run rt list
	[[ "$output" == *"$ID"*"running"* ]]
	run rt list --format json
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d[0]["status"]=="running", d' "$output"
	run rt kill "$ID" NOPE
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown signal 'NOPE'"* ]]
	rt kill "$ID" 15
	for i in $(seq 200); do [ "$(st "$ID" status)" = stopped ] && break; sleep 0.02; done
	[ "$(st "$ID" status)" = stopped ]
	run rt kill "$ID" TERM
	[ "$status" -ne 0 ]
	[[ "$output" == *"is not running"* ]]
	rt delete "$ID"
	assert_clean "$ID"
}

@test "exec runs in the container's namespaces and returns its exit code" {
	args '["sleep", "100"]'
	rt run -d -b "$B" "$ID"
	pid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$STATE/$ID/state.json")
	run rt exec "$ID" sh -c 'readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt; hostname; exit 7'
	[ "$status" -eq 7 ]
	[ "${lines[0]}" = "$(readlink /proc/$pid/ns/pid)" ]
	[ "${lines[1]}" = "$(readlink /proc/$pid/ns/mnt)" ]
	[ "${lines[2]}" = berth-test ]
	run -127 rt exec "$ID" /no/such/binary
	[ "$status" -eq 127 ]
	[[ "$output" == *"exec /no/such/binary: No such file or directory"* ]]
	rt delete --force "$ID"
	assert_clean "$ID"
}

@test "a user namespace maps container root to an unprivileged host uid" {
	args '["sh", "-c", "id -u; cat /proc/self/uid_map"]'
	edit 'c["linux"]["namespaces"].append({"type": "user"})' \
		'c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]' \
		'c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	run rt run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	[[ "${lines[1]}" == *"0"*"100000"*"65536"* ]]
}

@test "namespaced sysctls apply inside; others and smuggled keys are refused" {
	args '["cat", "/proc/sys/net/ipv4/ip_forward"]'
	host=$(cat /proc/sys/net/ipv4/ip_forward)
	want=$((1 - host))
	edit "c['linux']['sysctl'] = {'net.ipv4.ip_forward': '$want'}"
	run rt run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "$want" ]
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host" ]
	edit "c['linux']['sysctl'] = {'kernel.core_pattern': '|/tmp/evil'}"
	run rt run -b "$B" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.sysctl.kernel.core_pattern is not namespaced"* ]]
	edit "c['linux']['sysctl'] = {'kernel.shm_rmid_forced': '1+kernel.core_pattern=|/tmp/evil'}"
	run rt run -b "$B" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"forbidden character"* ]]
	assert_clean "$ID"
}

@test "an rlimit above the hard limit fails clearly when the kernel refuses" {
	hard=$(ulimit -Hn)
	if sh -c "ulimit -Hn $((hard + 1))" 2>/dev/null; then skip "this root may raise hard limits"; fi
	edit "c['process']['rlimits'] = [{'type': 'RLIMIT_NOFILE', 'soft': 1024, 'hard': $((hard + 1))}]"
	run rt run -b "$B" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot raise the hard limit of RLIMIT_NOFILE"* ]]
	assert_clean "$ID"
}

@test "bad specs: a clear error naming the field, and nothing left behind" {
	cp "$B/config.json" "$BERTH_TMP/good.json"
	check() {
		run rt run -b "$B" "$ID"
		echo "$output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"$1"* ]]
		assert_clean "$ID"
		cp "$BERTH_TMP/good.json" "$B/config.json"
	}
	edit 'c["root"]["path"] = "nope"'
	check "root.path $B/nope: No such file or directory"
	edit 'c["linux"]["namespaces"].append({"type": "time-travel"})'
	check "unknown namespace type 'time-travel'"
	echo '{"ociVersion": "1.0.2", "process": ' >"$B/config.json"
	check "config.json is not valid JSON"
	edit 'c["mounts"].append({"destination": "relative/dir", "type": "tmpfs", "source": "tmpfs"})'
	check "mounts[7].destination 'relative/dir' is not an absolute path"
	edit 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["nosuchcall"], "action": "SCMP_ACT_ERRNO"}]}'
	check "linux.seccomp.syscalls[0]: unknown syscall 'nosuchcall'"
	edit 'c["process"]["capabilities"]["bounding"].append("CAP_FLY")'
	check "unknown capability 'CAP_FLY'"
	edit 'c["process"]["cwd"] = "/does/not/exist"'
	check "chdir to process.cwd /does/not/exist"
	args '["/bin/nonexistent"]'
	run -127 rt run -b "$B" "$ID"
	[ "$status" -eq 127 ]
	[[ "$output" == *"exec /bin/nonexistent: No such file or directory"* ]]
	assert_clean "$ID"
	# and an id already in use
	cp "$BERTH_TMP/good.json" "$B/config.json"
	args '["sleep", "100"]'
	rt run -d -b "$B" "$ID"
	run rt create -b "$B" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"container $ID already exists"* ]]
	[ "$(st "$ID" status)" = running ]
}

@test "CVE-2021-30465: a mount destination through a symlink stays inside the rootfs" {
	ln -s ../../../../../../../../.. "$B/rootfs/escape"
	name="berth-escape-$$"
	edit "c['mounts'].append({'destination': '/escape/$name', 'type': 'tmpfs', 'source': 'tmpfs'})"
	args "['sh', '-c', 'grep -c \" /$name \" /proc/self/mounts']"
	run rt run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
	[ ! -e "/$name" ]
	[ -d "$B/rootfs/$name" ]
}

@test "CVE-2019-5736: the runtime runs from a sealed memfd, /proc/PID/exe cannot be written" {
	args '["sleep", "100"]'
	"$RT" --root "$STATE" run -b "$B" "$ID" &
	runner=$!
	track_pid $runner
	for i in $(seq 200); do [ -f "$STATE/$ID/state.json" ] && break; sleep 0.02; done
	[[ "$(readlink /proc/$runner/exe)" == "/memfd:berth-runtime"* ]]
	run sh -c "echo overwritten >> /proc/$runner/exe"
	[ "$status" -ne 0 ]
	cmp "$RT" "$BUILD/berth-runtime"
	rt kill "$ID" KILL
	wait $runner || true
	assert_clean "$ID"
}

@test "a terminal: the pty master goes to --console-socket" {
	args '["sh", "-c", "tty; sleep 100"]'
	edit 'c["process"]["terminal"] = True'
	python3 - "$BERTH_TMP/console.sock" >"$BERTH_TMP/console.out" 2>&1 <<'PY' &
import array, os, socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept()
fds = array.array("i")
msg, anc, _, _ = c.recvmsg(64, socket.CMSG_LEN(4))
fds.frombytes(anc[0][2][:4])
print(os.read(fds[0], 100).decode().strip(), flush=True)
PY
	listener=$!
	track_pid $listener
	for i in $(seq 100); do [ -S "$BERTH_TMP/console.sock" ] && break; sleep 0.02; done
	rt create -b "$B" --console-socket "$BERTH_TMP/console.sock" "$ID"
	rt start "$ID"
	wait $listener
	cat "$BERTH_TMP/console.out"
	grep -qE "^/dev/(console|pts/[0-9]+)$" "$BERTH_TMP/console.out"
	rt delete --force "$ID"
	run rt create -b "$B" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"process.terminal needs --console-socket"* ]]
}

@test "joining another container's network namespace by path" {
	args '["sleep", "100"]'
	rt run -d -b "$B" "$ID-a"
	pid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$STATE/$ID-a/state.json")
	args '["readlink", "/proc/self/ns/net"]'
	edit "c['linux']['namespaces'] = [n for n in c['linux']['namespaces'] if n['type'] != 'network'] + [{'type': 'network', 'path': '/proc/$pid/ns/net'}]"
	run rt run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[ "$output" = "$(readlink /proc/$pid/ns/net)" ]
	edit "c['linux']['namespaces'][-1]['path'] = '/proc/999999999/ns/net'"
	run rt run -b "$B" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"network namespace path /proc/999999999/ns/net: No such file or directory"* ]]
	rt delete --force "$ID-a"
	assert_clean "$ID-a"
}

@test "linux.devices, umask, oomScoreAdj and cpu limits are applied" {
	args '["sh", "-c", "ls -l /dev/mynull; echo x > /dev/mynull && echo dev-ok; umask; cat /proc/self/oom_score_adj; sleep 100"]'
	edit 'c["linux"]["devices"] = [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 438, "uid": 0, "gid": 0}]' \
		'c["process"]["user"]["umask"] = 63' 'c["process"]["oomScoreAdj"] = 500' \
		'c["linux"]["resources"]["cpu"] = {"shares": 512, "quota": 50000, "period": 100000}'
	rt run -d -b "$B" "$ID"
	for i in $(seq 100); do [ -f "$STATE/$ID/state.json" ] && break; sleep 0.02; done
	if [ -d /sys/fs/cgroup/cpu/berth/"$ID" ]; then
		[ "$(cat /sys/fs/cgroup/cpu/berth/$ID/cpu.cfs_quota_us)" = 50000 ]
		[ "$(cat /sys/fs/cgroup/cpu/berth/$ID/cpu.shares)" = 512 ]
	else
		[ "$(cat /sys/fs/cgroup/berth/$ID/cpu.max)" = "50000 100000" ]
	fi
	run rt exec "$ID" sh -c 'cat /proc/1/oom_score_adj; stat -c %t:%T /dev/mynull'
	[ "${lines[0]}" = 500 ]
	[ "${lines[1]}" = "1:3" ]
	rt delete --force "$ID"
	assert_clean "$ID"
}

@test "update --resources: new limits for a running container's cgroup; bad input refused" {
	args '["sleep", "100"]'
	edit 'c["linux"]["resources"]["pids"] = {"limit": 8}' 'c["linux"]["resources"]["memory"] = {"limit": 67108864}'
	rt run -d -b "$B" "$ID"
	for i in $(seq 100); do [ -f "$STATE/$ID/state.json" ] && break; sleep 0.02; done
	echo '{"memory": {"limit": 33554432}, "pids": {"limit": 12}, "cpu": {"quota": 20000, "period": 100000}}' |
		rt update --resources - "$ID"
	if [ -d /sys/fs/cgroup/pids/berth/"$ID" ]; then
		[ "$(cat /sys/fs/cgroup/pids/berth/$ID/pids.max)" = 12 ]
		[ "$(cat /sys/fs/cgroup/memory/berth/$ID/memory.limit_in_bytes)" = 33554432 ]
		[ "$(cat /sys/fs/cgroup/cpu/berth/$ID/cpu.cfs_quota_us)" = 20000 ]
	else
		[ "$(cat /sys/fs/cgroup/berth/$ID/pids.max)" = 12 ]
		[ "$(cat /sys/fs/cgroup/berth/$ID/memory.max)" = 33554432 ]
	fi
	run rt update --resources - "$ID" <<<'{"pids": {"limit": "many"}}'
	[ "$status" -eq 1 ]
	[[ "$output" == *"pids"* ]]
	run rt update --resources - "$ID" <<<'not json'
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a JSON object"* ]]
	run rt update --resources - "nosuch$$" <<<'{}'
	[ "$status" -eq 1 ]
	run rt update "$ID"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--resources"* ]]
	rt delete --force "$ID"
	assert_clean "$ID"
}

# run berth-runtime with a pure cgroup v2 layout: as it is on a v2 host, else in a
# private mount namespace with the cgroup2 hierarchy mounted on /sys/fs/cgroup
rt_v2() {
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		rt "$@"
	else
		unshare -m sh -c 'mount --make-rprivate / && umount -R /sys/fs/cgroup &&
			mount -t cgroup2 none /sys/fs/cgroup && exec "$0" "$@"' "$RT" --root "$STATE" "$@"
	fi
}

@test "cgroup v2: device rules as an eBPF filter (a device the container makes stays closed); the init born in its cgroup" {
	v2=/sys/fs/cgroup
	[ "$(stat -f -c %T $v2)" = cgroup2fs ] || v2=/sys/fs/cgroup/unified
	[ "$(stat -f -c %T $v2)" = cgroup2fs ] || skip "no cgroup2 hierarchy on this host"
	# 10:259 (cpu_dma_latency) is readable by root here and in no allow rule: without a
	# filter a container with CAP_MKNOD could make it and read it
	args '["sh", "-c", "mknod /dev/lat c 10 259 2>&1; echo mknod=$?; head -c 4 /dev/zero | wc -c; echo x >/dev/null && echo null-ok; cat /proc/self/cgroup"]'
	run rt_v2 run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"mknod: /dev/lat: Operation not permitted"* ]]
	[[ "$output" == *"mknod=1"* ]]
	[ "${lines[2]}" = 4 ]
	[ "${lines[3]}" = null-ok ]
	[[ "$output" == *"0::/"* ]]
	# a device in linux.devices is allowed; an earlier deny of everything does not matter
	args '["sh", "-c", "head -c 4 /dev/lat | wc -c; mknod /dev/other c 10 259 && echo made"]'
	edit 'c["linux"]["devices"] = [{"path": "/dev/lat", "type": "c", "major": 10, "minor": 259}]'
	run rt_v2 run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 4 ]
	[ "${lines[1]}" = made ]
	# the init is born in its cgroup (clone3 CLONE_INTO_CGROUP); kill --all reaches it there
	args '["sleep", "100"]'
	rt_v2 run -d -b "$B" "$ID"
	pid=$(st "$ID" pid)
	grep -qx "$pid" "$v2/berth/$ID/cgroup.procs"
	rt_v2 kill --all "$ID" KILL
	for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.02; done
	! kill -0 "$pid" 2>/dev/null
	rt_v2 delete --force "$ID"
	[ ! -e "$v2/berth/$ID" ]
	# a rule the kernel cannot take is a clear error naming the field
	edit 'c["linux"]["resources"]["devices"] = [{"allow": False, "access": "rwx"}]'
	run rt_v2 run -b "$B" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.resources.devices[0].access must be made of r, w and m"* ]]
	[ ! -e "$v2/berth/$ID" ]
	assert_clean "$ID"
}

@test "the shipped default seccomp profile loads, allows a shell and denies unshare" {
	args '["sh", "-c", "grep ^Seccomp: /proc/self/status; sleep 0 & wait; echo fork-ok; unshare -U true; echo unshare=$?"]'
	edit "import json; c['linux']['seccomp'] = json.load(open('$SRC/contrib/seccomp/default.json'))"
	run rt run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Seccomp:	2"* ]]
	[[ "$output" == *"fork-ok"* ]]
	[[ "$output" == *"unshare=1"* ]]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "berth-runtime usage: --help, --version, unknown commands" {
	run "$RT" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"create [--bundle DIR]"* ]]
	run "$RT" --version
	[[ "$output" == "berth-runtime version "* ]]
	run "$RT" frob
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown command 'frob'"* ]]
	run rt state
	[ "$status" -eq 2 ]
	[[ "$output" == *"expects exactly one container id"* ]]
	run rt state "bad/id"
	[ "$status" -ne 0 ]
	run rt create -b "$B" "../evil"
	[ "$status" -ne 0 ]
	[[ "$output" == *"invalid container id '../evil'"* ]]
}

@test "berth-init as pid 1 reaps orphans and forwards signals" {
	args '["sh", "-c", "sh -c \"sleep 0.1 &\"; exec sleep 100"]'
	rt run -d -b "$B" "$ID-noinit"
	sleep 0.5
	run rt exec "$ID-noinit" sh -c 'cat /proc/[0-9]*/status | grep -c "^State:.*Z"'
	[ "$output" = 1 ] # sleep as pid 1 never reaps: a zombie
	rt delete --force "$ID-noinit"
	edit "c['mounts'].append({'destination': '/berth-init', 'type': 'bind', 'source': '$BUILD/berth-init', 'options': ['bind', 'ro']})" \
		'c["process"]["args"] = ["/berth-init"] + c["process"]["args"]'
	rt run --keep -b "$B" "$ID" &
	runner=$!
	track_pid $runner
	sleep 0.5
	run rt exec "$ID" sh -c 'cat /proc/[0-9]*/status | grep -c "^State:.*Z"; cat /proc/1/cmdline | tr "\0" " "'
	[ "${lines[0]}" = 0 ]
	[[ "${lines[1]}" == "/berth-init sh -c"* ]]
	# TERM reaches sleep through the init (sleep as pid 1 would ignore it)
	rt kill "$ID" TERM
	rc=0
	wait $runner || rc=$?
	[ "$rc" -eq 143 ]
	rt delete "$ID"
	assert_clean "$ID"
}

@test "a drop-in OCI runtime: podman runs containers with berth-runtime" {
	command -v podman >/dev/null || skip "podman is not installed"
	python3 "$SRC/tests/fixtures/make-images.py" "$BERTH_TMP/images" >/dev/null
	pod load -q -i "$BERTH_TMP/images/busybox.tar" >/dev/null
	# podman asks for RLIMIT_NOFILE 1048576 by default; this root may not raise its hard limit
	lim="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
	run pod --runtime "$RT" --runtime-flag "root=$BERTH_TMP/rtroot" run --rm --network none $lim berth-test/busybox sh -c 'echo via-berth; cat /proc/1/cmdline'
	[ "$status" -eq 0 ]
	[[ "$output" == *"via-berth"* ]]
	run pod --runtime "$RT" --runtime-flag "root=$BERTH_TMP/rtroot" run --rm --network none $lim berth-test/busybox sh -c 'exit 3'
	[ "$status" -eq 3 ]
	pod rmi -a -f >/dev/null 2>&1 || true
}

@test "exec -t: the terminal is made inside the container" {
	args '["sleep", "100"]'
	rt run -d -b "$B" "$ID"
	run script -qec "$RT --root $STATE exec -t $ID sh -c 'tty; test -t 0 && echo in-a-tty'" /dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/0"* ]]
	[[ "$output" == *"in-a-tty"* ]]
	rt delete --force "$ID"
}
