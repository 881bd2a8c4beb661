#!/usr/bin/env bats
# The berth client: version, info, help, formats, and what it says when a daemon is missing.

load helpers

setup() { berth_setup; }
teardown() { berth_teardown; }

@test "version shows the client and each running daemon" {
	"$BERTH" system start
	run "$BERTH" version
	[ "$status" -eq 0 ]
	[[ "$output" == *"Client:"* ]]
	for d in containerd imaged netd; do
		[[ "$output" == *"berth-$d:"* ]]
		[[ "$output" == *"PID:"*"$(daemon_pid $d)"* ]]
	done
}

@test "version --format json is JSON with the client, every daemon and the protocol" {
	"$BERTH" system start
	run "$BERTH" version --format json
	[ "$status" -eq 0 ]
	python3 - "$output" "$(daemon_pid imaged)" <<'PY'
import json, sys
doc = json.loads(sys.argv[1])
assert doc["client"]["protocol"] == 1, doc
assert set(doc["daemons"]) == {"containerd", "imaged", "netd"}, doc
assert doc["daemons"]["imaged"]["pid"] == int(sys.argv[2]), doc
assert all(d["protocol"] == 1 for d in doc["daemons"].values())
PY
}

@test "info reports roots, kernel, the detected cgroup layout, overlayfs and counts" {
	"$BERTH" system start
	run "$BERTH" info
	[ "$status" -eq 0 ]
	[[ "$output" == *"Root:"*"$BERTH_ROOT"* ]]
	[[ "$output" == *"Kernel:"*"$(uname -r)"* ]]
	[[ "$output" == *"Containers:"*"0"* ]]
	[[ "$output" == *"Images:"*"0"* ]]
	# the layout it reports is the one the host really has
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		want=v2
	elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
		want=hybrid
	else
		want=v1
	fi
	[[ "$output" == *"Cgroup layout:"*"$want"* ]]
	if grep -qw overlay /proc/filesystems; then
		[[ "$output" == *"Overlayfs:"*"yes"* ]]
	fi
	run "$BERTH" info --format json
	[ "$status" -eq 0 ]
	python3 - "$output" "$want" "$BERTH_RUN" <<'PY'
import json, sys
doc = json.loads(sys.argv[1])
c = doc["daemons"]["containerd"]
assert c["cgroup_layout"] == sys.argv[2], c
assert c["run"] == sys.argv[3], c
assert doc["daemons"]["imaged"]["images"] == 0
assert doc["daemons"]["netd"]["networks"] == 1  # the default bridge network
assert "seccomp: filter" in doc["daemons"]["netd"]["privileges"]
PY
}

@test "a daemon that is not running: one clear line naming the socket and the fix, exit 125" {
	run "$BERTH" info
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"cannot reach berth-containerd"*"$BERTH_RUN/containerd.sock"* ]]
	[[ "$output" == *"is berth-containerd running? try: berth system start"* ]]
	run "$BERTH" version
	[ "$status" -eq 125 ]
	[[ "$output" == *"Client:"* ]]
	[[ "$output" == *"cannot reach berth-imaged"*"try: berth system start"* ]]
}

@test "only one daemon down: version names that one and exits 125" {
	"$BERTH" system start
	kill "$(daemon_pid netd)"
	wait_gone "$(cat "$BERTH_RUN/berth-netd.pid" 2>/dev/null || echo 0)" || true
	i=0
	while [ -e "$BERTH_RUN/netd.sock" ] && [ $i -lt 300 ]; do sleep 0.01; i=$((i + 1)); done
	run "$BERTH" version
	[ "$status" -eq 125 ]
	[[ "$output" == *"cannot reach berth-netd"* ]]
	[[ "$output" != *"cannot reach berth-imaged"* ]]
	run "$BERTH" system status
	[ "$status" -eq 3 ]
	[[ "$output" == *"berth-netd"*"stopped"* ]]
}

@test "the client's own checks: a state directory writable by others is refused" {
	mkdir -p "$BERTH_ROOT"
	chmod 0777 "$BERTH_ROOT"
	run "$BERTH" system start
	[ "$status" -eq 1 ]
	[[ "$output" == *"refusing $BERTH_ROOT: writable by group or others (mode 0777)"* ]]
}

@test "--root/--run flags win over BERTH_ROOT/BERTH_RUN" {
	"$BERTH" --root "$BERTH_TMP/other-root" --run "$BERTH_TMP/other-run" system start
	[ -S "$BERTH_TMP/other-run/containerd.sock" ]
	[ ! -e "$BERTH_RUN/containerd.sock" ]
	run "$BERTH" info
	[ "$status" -eq 125 ]
	run "$BERTH" --root "$BERTH_TMP/other-root" --run "$BERTH_TMP/other-run" info
	[ "$status" -eq 0 ]
	[[ "$output" == *"$BERTH_TMP/other-root"* ]]
	"$BERTH" --root "$BERTH_TMP/other-root" --run "$BERTH_TMP/other-run" system stop
}

@test "--help on every command, help COMMAND, and the top-level usage" {
	for cmd in version info system; do
		run "$BERTH" $cmd --help
		[ "$status" -eq 0 ]
		[[ "${lines[0]}" == "Usage: berth $cmd"* ]]
		run "$BERTH" help $cmd
		[ "$status" -eq 0 ]
		[[ "${lines[0]}" == "Usage: berth $cmd"* ]]
	done
	for sub in start stop status; do
		run "$BERTH" system $sub --help
		[ "$status" -eq 0 ]
		[[ "$output" == *"system COMMAND"* ]]
	done
	run "$BERTH" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Commands:"*"version"* ]]
	run "$BERTH" --version
	[ "$status" -eq 0 ]
	[[ "$output" == "berth version "* ]]
	# the groups reach every command of theirs, as Docker's do
	for sub in ls create run start stop restart kill rm wait rename attach exec inspect logs \
		top stats pause unpause update port cp export diff commit; do
		run "$BERTH" container "$sub" --help
		[ "$status" -eq 0 ] || { echo "container $sub: $output"; false; }
		[[ "${lines[0]}" == "Usage: berth "* ]]
	done
	for sub in ls pull push build load save import tag rm history; do
		run "$BERTH" image "$sub" --help
		[ "$status" -eq 0 ] || { echo "image $sub: $output"; false; }
		[[ "${lines[0]}" == "Usage: berth "* ]]
	done
}

@test "bad usage is a clear error with exit 125" {
	run "$BERTH" frobnicate
	[ "$status" -eq 125 ]
	[[ "$output" == *"unknown command 'frobnicate'"* ]]
	run "$BERTH" version --format yaml
	[ "$status" -eq 125 ]
	[[ "$output" == *"unknown --format 'yaml'"* ]]
	run "$BERTH" system reboot
	[ "$status" -eq 125 ]
	[[ "$output" == *"unknown command 'system reboot'"* ]]
	run "$BERTH" system stop --timeout 0
	[ "$status" -eq 125 ]
	[[ "$output" == *"invalid --timeout '0'"* ]]
	run "$BERTH" --root relative info
	[ "$status" -eq 125 ]
	[[ "$output" == *"must be absolute"* ]]
	run "$BERTH" info extra
	[ "$status" -eq 125 ]
}

@test "system status --format json" {
	"$BERTH" system start
	run "$BERTH" system status --format json
	[ "$status" -eq 0 ]
	python3 - "$output" <<'PY'
import json, sys
doc = json.loads(sys.argv[1])
assert [d["name"] for d in doc] == ["berth-imaged", "berth-netd", "berth-containerd", "berth-apid"], doc
assert all(d["status"] == "running" and d["pid"] > 1 for d in doc[:3]), doc
# the Docker API runs only when its group exists (none made here)
assert doc[3]["status"] in ("running", "disabled"), doc
PY
}

@test "a daemon that dies while starting is reported with its log" {
	echo "not a directory" >"$BERTH_RUN" # every daemon refuses this
	run "$BERTH" system start
	[ "$status" -eq 1 ]
	[[ "$output" == *"berth-imaged exited with status 1 while starting"* ]]
	[[ "$output" == *"last lines of $BERTH_ROOT/log/berth-imaged.log"* ]]
	[[ "$output" == *"$BERTH_RUN exists and is not a directory"* ]]
	# nothing else was started
	[ -z "$(pgrep -f "berth-netd.*$BERTH_RUN" || true)" ]
}
