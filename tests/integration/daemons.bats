#!/usr/bin/env bats
# The three daemons: start, socket and directory safety, privileges, shutdown.

load helpers

setup() { berth_setup; }
teardown() {
	berth_teardown
	[ -z "${EXTRA_GROUP:-}" ] || groupdel "$EXTRA_GROUP"
}

@test "system start starts three daemons that answer, system stop ends them" {
	run "$BERTH" system start
	[ "$status" -eq 0 ]
	[[ "$output" == *"berth-imaged started (pid "* ]]
	[[ "$output" == *"berth-netd started (pid "* ]]
	[[ "$output" == *"berth-containerd started (pid "* ]]
	for d in containerd imaged netd; do
		pid=$(daemon_pid $d)
		[ -d "/proc/$pid" ]
		[ "$(readlink /proc/$pid/exe)" = "$BUILD/berth-$d" ]
		[ -S "$BERTH_RUN/$d.sock" ]
	done
	run "$BERTH" system status
	[ "$status" -eq 0 ]
	[ "$(grep -c running <<<"$output")" -eq 3 ]
	pids="$(daemon_pid containerd) $(daemon_pid imaged) $(daemon_pid netd)"
	run "$BERTH" system stop
	[ "$status" -eq 0 ]
	[ "$(grep -c stopped <<<"$output")" -eq 3 ]
	for pid in $pids; do [ ! -d "/proc/$pid" ] || grep -q '^State:.*Z' /proc/$pid/status; done
	# clean shutdown: sockets and pid files removed, logs say so
	[ -z "$(ls -A "$BERTH_RUN")" ]
	grep -q "stopped" "$BERTH_ROOT/log/berth-containerd.log"
	run "$BERTH" system status
	[ "$status" -eq 3 ]
	[ "$(grep -c stopped <<<"$output")" -eq 3 ]
}

@test "system start twice leaves the running daemons alone" {
	"$BERTH" system start
	before=$(daemon_pid containerd)
	run "$BERTH" system start
	[ "$status" -eq 0 ]
	[[ "$output" == *"berth-containerd already running (pid $before)"* ]]
	[ "$(daemon_pid containerd)" = "$before" ]
}

@test "state and runtime directories get safe modes, sockets are 0660" {
	"$BERTH" system start
	[ "$(stat -c %a "$BERTH_ROOT")" = 711 ]
	[ "$(stat -c %a "$BERTH_RUN")" = 711 ]
	for d in containers image network; do
		[ "$(stat -c %a "$BERTH_ROOT/$d")" = 700 ]
	done
	for d in containerd imaged netd; do
		[ "$(stat -c '%a %U' "$BERTH_RUN/$d.sock")" = "660 root" ]
	done
}

@test "a daemon refuses to start where a live one answers, and the live one keeps serving" {
	"$BERTH" system start
	run "$BUILD/berth-containerd" --foreground --root "$BERTH_ROOT" --run "$BERTH_RUN"
	[ "$status" -eq 1 ]
	[[ "$output" == *"another daemon is already serving $BERTH_RUN/containerd.sock"* ]]
	# the pid file still names the live daemon, and it answers
	[ -d "/proc/$(daemon_pid containerd)" ]
	run "$BERTH" version
	[ "$status" -eq 0 ]
}

@test "a stale socket is removed at start; a non-socket in its place is refused" {
	mkdir -p "$BERTH_RUN"
	chmod 711 "$BERTH_RUN"
	python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" \
		"$BERTH_RUN/netd.sock"
	[ -S "$BERTH_RUN/netd.sock" ]
	"$BUILD/berth-netd" --foreground --root "$BERTH_ROOT" --run "$BERTH_RUN" 2>"$BERTH_TMP/netd.log" &
	track_pid $!
	wait_socket "$BERTH_RUN/netd.sock"
	sleep 0.1
	grep -q "removing stale socket" "$BERTH_TMP/netd.log"
	echo junk >"$BERTH_RUN/imaged.sock"
	run "$BUILD/berth-imaged" --foreground --root "$BERTH_ROOT" --run "$BERTH_RUN"
	[ "$status" -eq 1 ]
	[[ "$output" == *"imaged.sock exists and is not a socket"* ]]
	[ "$(cat "$BERTH_RUN/imaged.sock")" = junk ]
}

@test "SIGTERM shuts a daemon down cleanly with exit status 0" {
	"$BUILD/berth-imaged" --foreground --root "$BERTH_ROOT" --run "$BERTH_RUN" 2>"$BERTH_TMP/imaged.log" &
	pid=$!
	track_pid $pid
	wait_socket "$BERTH_RUN/imaged.sock"
	# a connected client must not keep it from stopping
	rawframe "$BERTH_RUN/imaged.sock" hold 5 &
	holder=$!
	sleep 0.2
	kill -TERM $pid
	rc=0
	wait $pid || rc=$?
	[ "$rc" -eq 0 ]
	kill $holder 2>/dev/null || true
	wait $holder 2>/dev/null || true
	[ ! -e "$BERTH_RUN/imaged.sock" ]
	[ ! -e "$BERTH_RUN/berth-imaged.pid" ]
	grep -q "shutting down" "$BERTH_TMP/imaged.log"
}

@test "each daemon drops what it does not need and logs what it kept" {
	"$BERTH" system start
	caps() { awk -v k="$2:" '$1 == k {print $2}' /proc/$1/status; }
	# imaged: chown, dac_override, fowner, fsetid, mknod, setfcap effective;
	# sys_chroot and sys_admin permitted only (for the unpack worker)
	pid=$(daemon_pid imaged)
	[ "$(caps $pid CapEff)" = 000000008800001b ]
	[ "$(caps $pid CapPrm)" = 000000008824001b ]
	[ "$(caps $pid CapBnd)" = 000000008824001b ]
	[ "$(caps $pid NoNewPrivs)" = 1 ]
	[ "$(caps $pid Seccomp)" = 2 ]
	# netd: net_bind_service, net_admin, net_raw, sys_admin
	pid=$(daemon_pid netd)
	[ "$(caps $pid CapEff)" = 0000000000203400 ]
	[ "$(caps $pid CapBnd)" = 0000000000203400 ]
	[ "$(caps $pid NoNewPrivs)" = 1 ]
	[ "$(caps $pid Seccomp)" = 2 ]
	# containerd keeps everything its shims may need, and no filter they would inherit
	pid=$(daemon_pid containerd)
	[ "$(caps $pid Seccomp)" = 0 ]
	[ "$(caps $pid NoNewPrivs)" = 0 ]
	grep -q "kept capabilities: chown, dac_override, fowner, fsetid, mknod, setfcap; no_new_privs: yes; seccomp: filter" \
		"$BERTH_ROOT/log/berth-imaged.log"
	grep -q "kept capabilities: net_bind_service, net_admin, net_raw, sys_admin" \
		"$BERTH_ROOT/log/berth-netd.log"
	# and the filtered daemons still serve
	run "$BERTH" info
	[ "$status" -eq 0 ]
}

@test "the socket group decides who may connect" {
	grp="berthit$$"
	groupadd "$grp"
	EXTRA_GROUP=$grp
	gid=$(getent group "$grp" | cut -d: -f3)
	"$BERTH" system start --group "$grp"
	[ "$(stat -c %g "$BERTH_RUN/containerd.sock")" = "$gid" ]
	# an unprivileged user outside the group cannot reach it
	run setpriv --reuid 65534 --regid 65534 --clear-groups "$BERTH" version
	[ "$status" -eq 125 ]
	[[ "$output" == *"cannot reach berth-containerd"* ]]
	# the same user in the group can
	run setpriv --reuid 65534 --regid 65534 --groups "$gid" "$BERTH" version
	[ "$status" -eq 0 ]
	[[ "$output" == *"berth-containerd"* ]]
}

@test "a missing group leaves the socket root-only, with a warning naming the fix" {
	"$BERTH" system start --group "nosuchgroup$$"
	[ "$(stat -c '%a %g' "$BERTH_RUN/containerd.sock")" = "660 0" ]
	grep -q "group 'nosuchgroup$$' does not exist: the socket is for root only (create it with: groupadd nosuchgroup$$)" \
		"$BERTH_ROOT/log/berth-containerd.log"
}

@test "daemon options: bad log level, relative paths, stray arguments, --help, --version" {
	run "$BUILD/berth-netd" --log-level loud
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown log level 'loud'"* ]]
	run "$BUILD/berth-netd" --root relative/dir
	[ "$status" -eq 2 ]
	[[ "$output" == *"must be absolute paths"* ]]
	run "$BUILD/berth-imaged" extra
	[ "$status" -eq 2 ]
	[[ "$output" == *"unexpected argument 'extra'"* ]]
	run "$BUILD/berth-containerd" --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"--foreground"* ]]
	run "$BUILD/berth-containerd" --version
	[ "$status" -eq 0 ]
	[[ "$output" == "berth-containerd "* ]]
}

@test "a state directory writable by others is refused" {
	mkdir -p "$BERTH_ROOT"
	chmod 0777 "$BERTH_ROOT"
	run "$BUILD/berth-netd" --foreground --root "$BERTH_ROOT" --run "$BERTH_RUN"
	[ "$status" -eq 1 ]
	[[ "$output" == *"writable by group or others"* ]]
	[ ! -e "$BERTH_RUN/netd.sock" ]
}

@test "without --foreground a daemon detaches and keeps serving" {
	run "$BUILD/berth-netd" --root "$BERTH_ROOT" --run "$BERTH_RUN"
	[ "$status" -eq 0 ]
	wait_socket "$BERTH_RUN/netd.sock"
	i=0
	while [ ! -s "$BERTH_RUN/berth-netd.pid" ] && [ $i -lt 200 ]; do sleep 0.01; i=$((i + 1)); done
	pid=$(daemon_pid netd)
	# a new session, not ours
	[ "$(ps -o sid= -p "$pid" | tr -d ' ')" != "$(ps -o sid= -p $$ | tr -d ' ')" ]
	run "$BERTH" system status
	[[ "$output" == *"berth-netd"*"running"* ]]
}
