#!/usr/bin/env bats
# Bad peers on a real daemon socket: each closes or answers only its own
# connection, and the daemon keeps serving everyone else.

load helpers

setup() {
	berth_setup
	"$BERTH" system start >/dev/null
	SOCK="$BERTH_RUN/containerd.sock"
	LOG="$BERTH_ROOT/log/berth-containerd.log"
}
teardown() { berth_teardown; }

still_serving() {
	run "$BERTH" version
	[ "$status" -eq 0 ]
	[ -d "/proc/$(daemon_pid containerd)" ]
}

@test "an oversize frame closes that connection only" {
	run rawframe "$SOCK" oversize
	[ "$status" -eq 0 ]
	still_serving
	grep -q "over the 16777216 byte limit" "$LOG"
}

@test "garbage bytes close that connection only" {
	run rawframe "$SOCK" garbage
	[ "$status" -eq 0 ]
	still_serving
}

@test "a client that vanishes mid-header or mid-payload does not disturb the daemon" {
	rawframe "$SOCK" hold 3 &
	holder=$!
	run rawframe "$SOCK" vanish-header
	[ "$status" -eq 0 ]
	run rawframe "$SOCK" vanish-payload
	[ "$status" -eq 0 ]
	still_serving
	sleep 0.1
	grep -q "peer went away in the middle of a frame" "$LOG"
	# the long-lived connection was not disturbed either
	rc=0
	wait $holder || rc=$?
	[ "$rc" -eq 0 ]
}

@test "malformed fields in a payload close that connection" {
	run rawframe "$SOCK" bad-fields
	[ "$status" -eq 0 ]
	still_serving
	grep -q "malformed ping payload" "$LOG"
}

@test "an unknown message type gets ENOSYS and the connection stays usable" {
	run rawframe "$SOCK" unknown-type
	[ "$status" -eq 0 ]
	[[ "$output" == *"unknown message type 0x7e01"* ]]
	[[ "$output" == *"ping answered: True"* ]]
}

@test "a request before HELLO gets EPROTO and the connection is closed" {
	run rawframe "$SOCK" before-hello
	[ "$status" -eq 0 ]
	[[ "$output" == *"ping before hello"* ]]
	still_serving
}

@test "a protocol version mismatch is a clear error, not garbage" {
	run rawframe "$SOCK" version-mismatch
	[ "$status" -eq 0 ]
	[[ "$output" == *"protocol version mismatch: peer speaks 99, berth-containerd speaks 1"* ]]
}

@test "a request carrying reply flags is refused by closing the connection" {
	run rawframe "$SOCK" reply-flags
	[ "$status" -eq 0 ]
	still_serving
}

@test "fifty clients at once are all answered" {
	pids=""
	for i in $(seq 50); do
		"$BERTH" version --format json >"$BERTH_TMP/v$i" 2>&1 &
		pids="$pids $!"
	done
	fails=0
	for p in $pids; do wait $p || fails=$((fails + 1)); done
	[ "$fails" -eq 0 ]
	for i in $(seq 50); do grep -q '"containerd"' "$BERTH_TMP/v$i"; done
}
