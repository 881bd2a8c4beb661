#!/usr/bin/env bats
# berth-runtime and the OCI runtime spec: the points a conformance run checks
# (filter order, hooks, lifecycle edges, namespaces, propagation, resources).

load helpers
load runtime_helpers
bats_require_minimum_version 1.5.0

# Docker's default profile without what a runtime calls after its setup
# (older Docker profiles lack close_range; none of these may be needed)
strip_profile() {
	python3 - "$SRC/contrib/seccomp/default.json" "$B/config.json" "$@" <<'PY'
import json, sys
prof = json.load(open(sys.argv[1]))
drop = {"close_range", "capset", "capget", "setgroups", "setresuid", "setresgid", "setuid",
        "setgid", "chdir", "getcwd", "prctl", "newfstatat", "faccessat", "faccessat2"}
for s in prof["syscalls"]:
    s["names"] = [n for n in s["names"] if n not in drop]
c = json.load(open(sys.argv[2]))
c["linux"]["seccomp"] = prof
for code in sys.argv[3:]:
    exec(code, {"c": c})
json.dump(c, open(sys.argv[2], "w"))
PY
}

@test "the seccomp filter is the last step before execve: a profile without close_range, capset or setresuid runs" {
	for nnp in True False; do
		for user in '{"uid": 0, "gid": 0}' '{"uid": 1000, "gid": 1000, "additionalGids": [10]}'; do
			"$SRC/tests/fixtures/make-bundle.sh" "$B" cat /proc/self/status
			strip_profile "c['process']['noNewPrivileges'] = $nnp" "c['process']['user'] = $user"
			run rt run -b "$B" "$ID"
			echo "nnp=$nnp user=$user: $output"
			[ "$status" -eq 0 ]
			grep -qx 'Seccomp:[[:space:]]*2' <<<"$output"
			# CAP_SYS_ADMIN, held to load the filter without no_new_privs, is not kept
			eff=$(awk '/^CapEff/ {print $2}' <<<"$output")
			(( ((0x$eff >> 21) & 1) == 0 ))
		done
	done
	# and the filter holds: chdir is refused to the process itself
	"$SRC/tests/fixtures/make-bundle.sh" "$B" sh -c 'cd /tmp && echo moved'
	strip_profile
	run rt run -b "$B" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" != *moved* ]]
	[[ "$output" == *"Operation not permitted"* ]]
}

@test "kill works on a created container: its init, waiting for start, ends" {
	args '["sleep", "100"]'
	rt create -b "$B" "$ID"
	[ "$(st "$ID" status)" = created ]
	pid=$(st "$ID" pid)
	rt kill "$ID" TERM
	for _ in $(seq 100); do [ "$(st "$ID" status)" = stopped ] && break; sleep 0.02; done
	[ "$(st "$ID" status)" = stopped ]
	[ ! -d "/proc/$pid" ] || grep -q '^State:.*Z' "/proc/$pid/status"
	rt delete "$ID"
	assert_clean "$ID"
}

@test "delete of a running container without --force fails and leaves it running" {
	args '["sleep", "100"]'
	rt run -d -b "$B" "$ID" 2>/dev/null || { rt create -b "$B" "$ID" && rt start "$ID"; }
	[ "$(st "$ID" status)" = running ]
	run rt delete "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"is running"* ]]
	[ "$(st "$ID" status)" = running ]
	kill -0 "$(st "$ID" pid)"
	rt delete --force "$ID"
	assert_clean "$ID"
}

@test "a config without a mount namespace runs chrooted in the host's mount namespace" {
	edit 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "mount"]'
	args '["sleep", "100"]'
	rt create -b "$B" "$ID" </dev/null >/dev/null 2>"$BERTH_TMP/err"
	grep -q "no mount namespace" "$BERTH_TMP/err"
	pid=$(st "$ID" pid)
	[ "$(readlink /proc/$pid/ns/mnt)" = "$(readlink /proc/self/ns/mnt)" ]
	[ "$(readlink /proc/$pid/root)" = "$B/rootfs" ]
	[ "$(readlink /proc/$pid/ns/pid)" != "$(readlink /proc/self/ns/pid)" ]
	# the host's mount table did not change
	! grep -q "$B" /proc/self/mountinfo
	rt start "$ID"
	rt delete --force "$ID"
	assert_clean "$ID"
}

@test "linux.rootfsPropagation is applied to the container's root" {
	# a shared rootfs on the host, so slave and shared show
	mount --bind "$B/rootfs" "$B/rootfs"
	mount --make-rshared "$B/rootfs"
	args '["sh", "-c", "while read a b c d m o rest; do [ $m = / ] && echo $rest; done </proc/self/mountinfo; true"]'
	for p in rshared rslave rprivate runbindable; do
		edit "c['linux']['rootfsPropagation'] = '$p'"
		run rt run -b "$B" "$ID"
		echo "$p: $output"
		[ "$status" -eq 0 ]
		case $p in
		rshared) [[ "$output" == *"shared:"* ]] ;;
		rslave) [[ "$output" == *"master:"* && "$output" != *"shared:"* ]] ;;
		rprivate) [[ "$output" != *"shared:"* && "$output" != *"master:"* ]] ;;
		runbindable) [[ "$output" == *unbindable* ]] ;;
		esac
	done
	edit "c['linux']['rootfsPropagation'] = 'sideways'"
	run rt run -b "$B" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"linux.rootfsPropagation: unknown value 'sideways'"* ]]
	umount "$B/rootfs"
}

@test "namespaces given by path are joined" {
	ns="berthoci$$"
	ip netns add "$ns"
	unshare --uts=/run/berth-oci-uts-$$ true 2>/dev/null || { touch /run/berth-oci-uts-$$ && unshare --uts=/run/berth-oci-uts-$$ true; }
	edit "for n in c['linux']['namespaces']:
    if n['type'] == 'network': n['path'] = '/run/netns/$ns'
    if n['type'] == 'uts': n['path'] = '/run/berth-oci-uts-$$'" 'c.pop("hostname", None)'
	args '["sh", "-c", "readlink /proc/self/ns/net; readlink /proc/self/ns/uts"]'
	run rt run -b "$B" "$ID"
	want_net=$(ip netns exec "$ns" readlink /proc/self/ns/net)
	want_uts="uts:[$(stat -L -c %i /run/berth-oci-uts-$$)]"
	ip netns del "$ns"
	umount /run/berth-oci-uts-$$
	rm -f /run/berth-oci-uts-$$
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$want_net" ]
	[ "${lines[1]}" = "$want_uts" ]
	# a path that is no namespace is a clear error
	edit "for n in c['linux']['namespaces']:
    n.pop('path', None)
    if n['type'] == 'network': n['path'] = '/etc/hostname'"
	run rt run -b "$B" "$ID"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"join network namespace /etc/hostname"* ]]
}

@test "--pid-file holds the init's host pid, for create and run -d, relative to the working directory" {
	args '["sleep", "100"]'
	cd "$BERTH_TMP"
	rt create -b "$B" --pid-file pidfile "$ID" </dev/null >/dev/null 2>&1
	pid=$(cat "$BERTH_TMP/pidfile")
	[ "$pid" = "$(st "$ID" pid)" ]
	# the host's pid whose pid in the container's namespace is 1
	[ "$(awk '/^NSpid/ {print $3}' /proc/$pid/status)" = 1 ]
	[ "$(readlink /proc/$pid/ns/pid)" != "$(readlink /proc/self/ns/pid)" ]
	rt delete --force "$ID"
	rt run -d -b "$B" --pid-file "$BERTH_TMP/pid2" "$ID" </dev/null >/dev/null 2>&1
	pid=$(cat "$BERTH_TMP/pid2")
	[ "$pid" = "$(st "$ID" pid)" ]
	[ "$(awk '/^NSpid/ {print $3}' /proc/$pid/status)" = 1 ]
	grep -q "sleep" /proc/$pid/cmdline
	rt delete --force "$ID"
	assert_clean "$ID"
}

@test "config.json changed after create changes neither the container nor its later hooks" {
	args '["sh", "-c", "echo original >/tmp/out"]'
	rt create -b "$B" "$ID" </dev/null >/dev/null 2>&1
	args '["sh", "-c", "echo changed >/tmp/out"]'
	edit 'c["hooks"] = {"poststop": [{"path": "/bin/sh", "args": ["sh", "-c", "echo hook >'"$BERTH_TMP"'/hook"]}]}'
	rt start "$ID"
	for _ in $(seq 100); do [ "$(st "$ID" status)" = stopped ] && break; sleep 0.02; done
	[ "$(cat "$B/rootfs/tmp/out")" = original ]
	rt delete "$ID"
	# the hooks are the ones of create too
	[ ! -e "$BERTH_TMP/hook" ]
	assert_clean "$ID"
}

# a hook that logs its kind, the state it read and where it ran
hook_script() {
	cat >"$BERTH_TMP/hook.sh" <<SH
#!/bin/sh
read -r state
printf '%s %s env=%s mnt=%s\n' "\$1" "\$state" "\$HOOKVAR" "\$(readlink /proc/self/ns/mnt)" >>"$BERTH_TMP/hooks.log"
SH
	chmod +x "$BERTH_TMP/hook.sh"
}

# field $2 of the state logged by hook kind $1
hook_field() {
	grep "^$1 " "$BERTH_TMP/hooks.log" | head -n 1 | cut -d' ' -f2 |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}

@test "hooks run at the spec's points with the state on stdin, their args and env" {
	hook_script
	edit "c['hooks'] = {k: [{'path': '$BERTH_TMP/hook.sh', 'args': ['hook.sh', k], 'env': ['HOOKVAR=v-' + k], 'timeout': 10}]
          for k in ['prestart', 'createRuntime', 'createContainer', 'poststart', 'poststop']}" \
		"c['hooks']['startContainer'] = [{'path': '/bin/sh', 'args': ['sh', '-c', 'cat >/started']}]" \
		'c["annotations"] = {"org.example.k": "v"}'
	args '["sh", "-c", "cat /started"]'
	rt create -b "$B" "$ID" </dev/null >/dev/null 2>&1
	pid=$(st "$ID" pid)
	# create's hooks, in order, have run; the others not yet
	[ "$(cut -d' ' -f1 "$BERTH_TMP/hooks.log" | tr '\n' ' ')" = "prestart createRuntime createContainer " ]
	[ "$(hook_field prestart status)" = creating ]
	[ "$(hook_field prestart pid)" = "$pid" ]
	[ "$(hook_field createRuntime id)" = "$ID" ]
	[ "$(hook_field createRuntime bundle)" = "$B" ]
	[[ "$(hook_field createRuntime annotations)" == *org.example.k* ]]
	grep -q "^prestart .* env=v-prestart " "$BERTH_TMP/hooks.log"
	# prestart and createRuntime in the runtime's mount namespace, createContainer in the container's
	host_mnt=$(readlink /proc/self/ns/mnt)
	grep "^createRuntime " "$BERTH_TMP/hooks.log" | grep -qF "mnt=$host_mnt"
	grep "^createContainer " "$BERTH_TMP/hooks.log" | grep -qF "mnt=$(readlink /proc/$pid/ns/mnt)"
	! grep "^createContainer " "$BERTH_TMP/hooks.log" | grep -qF "mnt=$host_mnt"
	rt start "$ID"
	# poststart has run when start returns; startContainer ran inside, before the process
	grep -q "^poststart " "$BERTH_TMP/hooks.log"
	[ "$(hook_field poststart status)" = running ]
	for _ in $(seq 100); do [ "$(st "$ID" status)" = stopped ] && break; sleep 0.02; done
	[[ "$(cat "$B/rootfs/started")" == *'"status":"created"'* ]]
	! grep -q "^poststop " "$BERTH_TMP/hooks.log"
	rt delete "$ID"
	[ "$(hook_field poststop status)" = stopped ]
	assert_clean "$ID"
}

@test "a failing prestart or createRuntime hook stops the create with a clear error, leaving nothing" {
	for kind in prestart createRuntime createContainer; do
		edit "c['hooks'] = {'$kind': [{'path': '/bin/true'}, {'path': '/bin/sh', 'args': ['sh', '-c', 'exit 3']}]}"
		run rt create -b "$B" "$ID"
		echo "$output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"hook $kind[1] (/bin/sh) failed with exit status 3"* ]]
		assert_clean "$ID"
	done
	# the same through run
	edit "c['hooks'] = {'createRuntime': [{'path': '/nonexistent/hook'}]}"
	run rt run -b "$B" "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"hook createRuntime[0] (/nonexistent/hook) failed with exit status 127"* ]]
	assert_clean "$ID"
}

@test "a hook past its timeout is killed and fails the create" {
	edit "c['hooks'] = {'prestart': [{'path': '/bin/sleep', 'args': ['sleep', '30'], 'timeout': 1}]}"
	SECONDS=0
	run rt run -b "$B" "$ID"
	[ "$status" -ne 0 ]
	[ "$SECONDS" -lt 10 ]
	[[ "$output" == *"hook prestart[0] (/bin/sleep) did not finish within its timeout of 1s"* ]]
	! pgrep -f "^sleep 30$"
	assert_clean "$ID"
}

@test "a failing startContainer hook fails start; poststart and poststop failures are warnings" {
	edit "c['hooks'] = {'startContainer': [{'path': '/bin/sh', 'args': ['sh', '-c', 'exit 4']}],
	                    'poststop': [{'path': '/bin/false'}]}"
	args '["sh", "-c", "echo ran >/ran"]'
	rt create -b "$B" "$ID" </dev/null >/dev/null 2>&1
	run rt start "$ID"
	[ "$status" -ne 0 ]
	[[ "$output" == *"hook startContainer[0] (/bin/sh) failed with exit status 4"* ]]
	[ ! -e "$B/rootfs/ran" ]
	[ "$(st "$ID" status)" = stopped ]
	run rt delete "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: hook poststop[0] (/bin/false) failed with exit status 1"* ]]
	assert_clean "$ID"
	edit "c['hooks'] = {'poststart': [{'path': '/bin/false'}]}"
	run rt run -b "$B" "$ID"
	[ "$status" -eq 0 ]
	[[ "$output" == *"warning: hook poststart[0] (/bin/false) failed"* ]]
	[ "$(cat "$B/rootfs/ran")" = ran ]
}

@test "bad hooks are refused when the config is read" {
	for bad in "{'prestart': [{'path': 'relative'}]}|hooks.prestart[0].path must be an absolute path" \
		"{'prestart': [{'path': '/bin/true', 'timeout': 0}]}|hooks.prestart[0].timeout must be a whole number" \
		"{'prestart': [{'path': '/bin/true', 'args': [1]}]}|hooks.prestart[0].args must be an array of strings" \
		"{'preStart': []}|hooks.preStart: unknown kind of hook" \
		"{'poststop': {}}|hooks.poststop must be an array"; do
		edit "c['hooks'] = ${bad%%|*}"
		run rt run -b "$B" "$ID"
		echo "$output"
		[ "$status" -ne 0 ]
		[[ "$output" == *"${bad#*|}"* ]]
		assert_clean "$ID"
	done
}

v1_host() { [ -d /sys/fs/cgroup/memory ] && [ -f /sys/fs/cgroup/memory/memory.limit_in_bytes ]; }
v1_dir() { echo "/sys/fs/cgroup/$1/berth/$ID"; }
# the whole disk under / ("maj:min"), for the blkio throttles
root_disk() {
	local d
	d=$(mountpoint -d /)
	[ -e "/sys/dev/block/$d/partition" ] && d=$(cat "/sys/dev/block/$d/../dev")
	echo "$d"
}

@test "cgroup v1: swappiness, kernel TCP memory, the OOM killer and blkio throttles are applied" {
	v1_host || skip "not a cgroup v1 host"
	disk=$(root_disk)
	maj=${disk%:*} min=${disk#*:}
	args '["sleep", "100"]'
	edit "c['linux']['resources'] = {'memory': {'limit': 67108864, 'swappiness': 37, 'kernelTCP': 16777216, 'disableOOMKiller': True},
	      'blockIO': {'throttleReadBpsDevice': [{'major': $maj, 'minor': $min, 'rate': 1048576}],
	                  'throttleWriteIOPSDevice': [{'major': $maj, 'minor': $min, 'rate': 120}]}}"
	rt create -b "$B" "$ID" </dev/null >/dev/null 2>&1
	[ "$(cat "$(v1_dir memory)/memory.swappiness")" = 37 ]
	[ "$(cat "$(v1_dir memory)/memory.kmem.tcp.limit_in_bytes")" = 16777216 ]
	grep -qx "oom_kill_disable 1" "$(v1_dir memory)/memory.oom_control"
	grep -qx "$disk 1048576" "$(v1_dir blkio)/blkio.throttle.read_bps_device"
	grep -qx "$disk 120" "$(v1_dir blkio)/blkio.throttle.write_iops_device"
	rt delete --force "$ID"
	assert_clean "$ID"
}

@test "cgroup v1: containers made at once while their parent cpuset cgroup is new all start" {
	[ -f /sys/fs/cgroup/cpuset/cpuset.cpus ] || skip "no cgroup v1 cpuset hierarchy"
	for k in 1 2 3 4 5 6; do "$SRC/tests/fixtures/make-bundle.sh" "$BERTH_TMP/b$k" true; done
	: >"$BERTH_TMP/failed"
	for round in $(seq 25); do
		# berth/ goes when empty (as every test's teardown does), so each round makes it anew
		rmdir /sys/fs/cgroup/*/berth 2>/dev/null || true
		for k in 1 2 3 4 5 6; do
			rt run -b "$BERTH_TMP/b$k" "$ID-$round-$k" >/dev/null 2>"$BERTH_TMP/err$k" ||
				echo "round $round: $(cat "$BERTH_TMP/err$k")" >>"$BERTH_TMP/failed" &
		done
		wait
	done
	cat "$BERTH_TMP/failed"
	[ ! -s "$BERTH_TMP/failed" ]
}

@test "cgroup v1: what this host cannot apply is refused with the key and the reason, nothing left" {
	v1_host || skip "not a cgroup v1 host"
	cases=(
		"{'unified': {'memory.high': '1000000'}}|linux.resources.unified cannot be applied with cgroup v1"
		"{'cpu': {'idle': 1}}|linux.resources.cpu.idle needs cgroup v2"
		"{'memory': {'useHierarchy': False}}|linux.resources.memory.useHierarchy: write '0'"
		"{'memory': {'swappiness': 101}}|linux.resources.memory.swappiness must be 0..100"
		"{'blockIO': {'throttleReadBpsDevice': [{'major': 8}]}}|linux.resources.blockIO.throttleReadBpsDevice: major and minor are required"
		"{'blockIO': {'throttleReadBpsDevice': [{'major': 4095, 'minor': 4095, 'rate': 1}]}}|linux.resources.blockIO.throttleReadBpsDevice: write '4095:4095 1'"
		"{'network': {'priorities': [{'name': 'a b', 'priority': 1}]}}|linux.resources.network.priorities: each needs an interface name"
		"{'pids': {'limit': 10, 'max': 3}}|linux.resources.pids.max cannot be applied with cgroup v1"
	)
	grep -qw net_cls /proc/self/mountinfo ||
		cases+=("{'network': {'classID': 1048577}}|linux.resources.network.classID: no net_cls cgroup hierarchy is mounted")
	grep -q ' - cgroup .*hugetlb' /proc/self/mountinfo ||
		cases+=("{'hugepageLimits': [{'pageSize': '2MB', 'limit': 4194304}]}|linux.resources.hugepageLimits: no hugetlb cgroup hierarchy is mounted")
	[ -e /sys/fs/cgroup/blkio/blkio.weight ] || [ -e /sys/fs/cgroup/blkio/blkio.bfq.weight ] ||
		cases+=("{'blockIO': {'weight': 500}}|linux.resources.blockIO.weight: no proportional I/O scheduler here")
	# kernel memory limits: applied where the kernel keeps them, refused where it ignores them
	cases+=("{'memory': {'kernel': 33554432}}|linux.resources.memory.kernel: this kernel ignores kernel memory limits")
	for c in "${cases[@]}"; do
		edit "c['linux']['resources'] = ${c%%|*}"
		run rt run -b "$B" "$ID"
		echo "${c%%|*}: $output"
		if [[ "${c%%|*}" == *kernel* ]] && [ "$status" -eq 0 ]; then
			# a kernel that still has them: the limit must really be there
			edit 'c["process"]["args"] = ["cat", "/sys/fs/cgroup/memory/memory.kmem.limit_in_bytes"]'
			run rt run -b "$B" "$ID"
			[ "$output" = 33554432 ]
			continue
		fi
		[ "$status" -ne 0 ]
		[[ "$output" == *"${c#*|}"* ]]
		assert_clean "$ID"
	done
}

@test "cgroup v1: net_cls and net_prio are applied (a private mount namespace with those hierarchies)" {
	v1_host || skip "not a cgroup v1 host"
	grep -qw net_cls /proc/cgroups || skip "no net_cls controller in this kernel"
	hier_before=$(awk '$1 == "net_cls" {print $2}' /proc/cgroups)
	args '["sleep", "100"]'
	edit "c['linux']['resources'] = {'network': {'classID': 1048577, 'priorities': [{'name': 'lo', 'priority': 5}]}}"
	# the host's hierarchies again on a private tmpfs, plus net_cls,net_prio
	run unshare -m --propagation private sh -eu -c '
		umount -l /sys/fs/cgroup
		mount -t tmpfs cgroups /sys/fs/cgroup
		for c in cpu cpuacct cpuset memory devices freezer blkio pids; do
			mkdir /sys/fs/cgroup/$c
			mount -t cgroup -o $c cgroup /sys/fs/cgroup/$c
		done
		mkdir /sys/fs/cgroup/net_cls,net_prio
		mount -t cgroup -o net_cls,net_prio cgroup /sys/fs/cgroup/net_cls,net_prio
		# whatever happens, the hierarchy is left empty, so the kernel frees it
		trap "find /sys/fs/cgroup/net_cls,net_prio -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || :" EXIT
		"$0" --root "$1" create -b "$2" "$3" </dev/null >/dev/null 2>&1
		d=/sys/fs/cgroup/net_cls,net_prio/berth/$3
		echo "classid=$(cat $d/net_cls.classid)"
		grep "^lo " $d/net_prio.ifpriomap
		"$0" --root "$1" delete --force "$3"' "$RT" "$STATE" "$B" "$ID"
	echo "$output"
	# the kernel frees the hierarchy at its last unmount only when no cgroup is dying under it:
	# mount and unmount it again once they are gone, so nothing of the test is left
	if [ "$hier_before" = 0 ]; then
		for _ in 1 2 3 4 5; do
			sleep 1
			unshare -m --propagation private sh -c 'd=$(mktemp -d) &&
				mount -t cgroup -o net_cls,net_prio cgroup "$d" && umount "$d"; rmdir "$d"'
			[ "$(awk '$1 == "net_cls" {print $2}' /proc/cgroups)" = 0 ] && break
		done
	fi
	[ "$status" -eq 0 ]
	[[ "$output" == *"classid=1048577"* ]]
	[[ "$output" == *"lo 5"* ]]
	assert_clean "$ID"
}

@test "src-nofollow (berth's bind option): a source with a symlink in its path is refused, a real one binds" {
	mkdir -p "$BERTH_TMP/src/real"
	echo bound >"$BERTH_TMP/src/real/f"
	ln -s real "$BERTH_TMP/src/link"
	"$SRC/tests/fixtures/make-bundle.sh" "$B" cat /m/f
	bind() { # SOURCE
		python3 - "$B/config.json" "$1" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/m"]
c["mounts"].append({"destination": "/m", "type": "bind", "source": sys.argv[2],
                    "options": ["rbind", "rprivate", "ro", "src-nofollow"]})
json.dump(c, open(sys.argv[1], "w"))
PY
	}
	bind "$BERTH_TMP/src/real"
	run -0 rt run -b "$B" "$ID"
	[ "$output" = bound ]
	bind "$BERTH_TMP/src/link"
	run ! rt run -b "$B" "$ID-2"
	[[ "$output" == *"bind $BERTH_TMP/src/link to /m: the source has a symbolic link in its path now"* ]]
}
