#!/usr/bin/env bats
# The whole engine on a pure cgroup v2 layout, as on most hosts today: on a v2
# host as it is; on this kind of hybrid host in a private mount namespace with
# the cgroup2 hierarchy mounted on /sys/fs/cgroup (no controller is bound to it
# there, so limits are not tested here: the v1 tests cover them).

load helpers

bats_require_minimum_version 1.5.0

setup() {
	berth_setup
	V2=/sys/fs/cgroup
	[ "$(stat -f -c %T $V2)" = cgroup2fs ] || V2=/sys/fs/cgroup/unified
	[ "$(stat -f -c %T $V2)" = cgroup2fs ] || skip "no cgroup2 hierarchy on this host"
	python3 "$SRC/tests/fixtures/make-images.py" "$BERTH_TMP/images" >/dev/null
}

teardown() {
	engine_teardown
	rmdir "$V2"/berth 2>/dev/null || true
}

# run a script with the v2 layout on /sys/fs/cgroup, the daemons started in it
in_v2() {
	BERTH="$BERTH" BERTH_TMP="$BERTH_TMP" unshare -m --propagation private bash -eu -c '
		if [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
			umount -R /sys/fs/cgroup
			mount -t cgroup2 none /sys/fs/cgroup
		fi
		"$BERTH" system start >/dev/null
		"$BERTH" load -q -i "$BERTH_TMP/images/busybox.tar" >/dev/null
		b() { "$BERTH" "$@"; }
		fail() { echo "FAILED: $*"; exit 1; }
		'"$1"'
		"$BERTH" system stop >/dev/null'
}

@test "cgroup v2: run, exec, pause, stats, kill and rm; the device filter holds; nothing left" {
	run in_v2 '
		id=$(b run -d --name c2 berth-test/busybox sleep 1000)
		cg=/sys/fs/cgroup/berth/$id
		pid=$(b inspect -f "{{.State.Pid}}" c2)
		grep -qx "$pid" $cg/cgroup.procs || fail "init $pid not in $cg"
		c=$(b exec c2 cat /proc/self/cgroup | grep "^0::"); [ "$c" = "0::/" ] || fail "cgroup namespace: $c"
		b exec c2 sh -c "mknod /dev/lat c 10 259 2>&1; head -c 4 /dev/lat 2>&1" | grep -q "Operation not permitted" ||
			fail "a device outside the rules was usable"
		[ "$(b exec c2 sh -c "head -c 3 /dev/zero | wc -c")" = 3 ] || fail "/dev/zero"
		b pause c2 >/dev/null
		grep -qx "frozen 1" $cg/cgroup.events || fail "not frozen"
		[ "$(b inspect -f "{{.State.Status}}" c2)" = paused ] || fail "status not paused"
		b unpause c2 >/dev/null
		grep -qx "frozen 0" $cg/cgroup.events || fail "not thawed"
		b stats --no-stream c2 | grep -q c2 || fail "stats"
		b exec -d c2 sleep 500
		[ "$(wc -l <$cg/cgroup.procs)" -ge 2 ] || fail "the exec is not in the cgroup"
		b kill c2 >/dev/null
		[ "$(b wait c2)" = 137 ] || fail "exit code after kill"
		b rm c2 >/dev/null
		[ ! -e $cg ] || fail "$cg left behind"
		echo all-ok'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *all-ok* ]]
	# no container cgroup is left in the host's view either
	! ls -d "$V2"/berth/*/ 2>/dev/null
}
