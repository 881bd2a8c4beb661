#!/usr/bin/env bats
# berth-shim: a detached monitor that keeps stdio, logs, attach and the exit status.

load helpers
bats_require_minimum_version 1.5.0

SHIM="$BUILD/berth-shim"
CTL="$SRC/tests/integration/shimctl.py"

setup() {
	berth_setup
	B="$BERTH_TMP/bundle"
	ID="sh$$-$BATS_TEST_NUMBER"
	D="$BERTH_TMP/run/$ID"
	S="$D/shim.sock"
	"$SRC/tests/fixtures/make-bundle.sh" "$B" true
}

teardown() {
	if [ -S "${S:-/nonexistent}" ]; then
		python3 "$CTL" "$S" delete --force >/dev/null 2>&1 || true
	fi
	[ -f "${D:-/nonexistent}/shim.pid" ] && kill "$(cat "$D/shim.pid")" 2>/dev/null
	berth_teardown
}

args() { python3 "$SRC/tests/fixtures/spec-edit.py" "$B" "c['process']['args'] = $1"; }
edit() { python3 "$SRC/tests/fixtures/spec-edit.py" "$B" "$@"; }
ctl() { python3 "$CTL" "$S" "$@"; }
shim_start() { "$SHIM" --id "$ID" --bundle "$B" --state-dir "$D" "$@"; }
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

@test "the shim detaches into its own session, reports its pid, and serves a root-only socket" {
	run shim_start
	[ "$status" -eq 0 ]
	pid=$output
	[ "$(cat "$D/shim.pid")" = "$pid" ]
	[ "$(stat -c %a "$S")" = 600 ]
	[ "$(ps -o sid= -p "$pid" | tr -d ' ')" != "$(ps -o sid= -p $$ | tr -d ' ')" ]
	grep -q "^NSpid" /proc/$pid/status
	[ "$(cat /proc/$pid/cmdline | tr '\0' ' ')" != "" ]
	run ctl state
	[[ "$output" == *'"status":"new"'* ]]
	run ctl shutdown
	[ "$status" -eq 0 ]
	wait_gone "$pid"
	run "$SHIM" --id x
	[ "$status" -eq 2 ]
	[[ "$output" == *"--id, --bundle and an absolute --state-dir are required"* ]]
}

@test "stdout and stderr are logged in json-file format; the exit status is recorded" {
	args '["sh", "-c", "echo out; echo err >&2; printf no-newline; exit 3"]'
	shim_start >/dev/null
	ctl create >/dev/null
	ctl start >/dev/null
	run ctl wait
	[ "$(field "$output" exit_code)" = 3 ]
	python3 - "$D/$ID-json.log" <<'PY'
import json, sys, re
recs = [json.loads(l) for l in open(sys.argv[1])]
assert [(r["log"], r["stream"]) for r in recs] == [("out\n", "stdout"), ("err\n", "stderr"), ("no-newline", "stdout")], recs
assert all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$", r["time"]) for r in recs)
PY
	grep -q '"exit_code":3' "$D/exit"
	run ctl delete
	[ "$status" -eq 0 ]
}

@test "attach right after create loses nothing; two attaches see the same stream" {
	args '["sh", "-c", "for i in 1 2 3 4 5; do echo line$i; done"]'
	shim_start >/dev/null
	ctl create >/dev/null
	ctl attach >"$BERTH_TMP/a1" &
	a1=$!
	track_pid $a1
	ctl attach >"$BERTH_TMP/a2" &
	a2=$!
	track_pid $a2
	sleep 0.3
	ctl start >/dev/null
	wait $a1
	wait $a2
	[ "$(cat "$BERTH_TMP/a1")" = "$(printf 'line1\nline2\nline3\nline4\nline5')" ]
	cmp "$BERTH_TMP/a1" "$BERTH_TMP/a2"
}

@test "stdin reaches the process, and closing it gives EOF" {
	args '["sh", "-c", "cat; echo after-eof"]'
	shim_start >/dev/null
	ctl create >/dev/null
	ctl attach --stdin "hello shim
" >"$BERTH_TMP/out" &
	att=$!
	track_pid $att
	sleep 0.3
	ctl start >/dev/null
	wait $att
	grep -q "hello shim" "$BERTH_TMP/out"
	grep -q "after-eof" "$BERTH_TMP/out"
}

@test "a terminal: tty inside, and resize changes stty size" {
	# everything after the input, so an attach slow to connect on a loaded host misses nothing
	args '["sh", "-c", "read go; tty; stty size"]'
	edit 'c["process"]["terminal"] = True'
	shim_start >/dev/null
	ctl create >/dev/null
	ctl attach >"$BERTH_TMP/out" &
	att=$!
	track_pid $att
	sleep 0.2
	ctl start >/dev/null
	ctl resize 33 77 >/dev/null
	ctl write "go
" >/dev/null
	wait $att
	cat "$BERTH_TMP/out"
	grep -qE "^/dev/(console|pts/[0-9]+)" "$BERTH_TMP/out"
	grep -q "^33 77" "$BERTH_TMP/out"
	run ctl wait
	[ "$(field "$output" exit_code)" = 0 ]
}

@test "the container outlives a kill -9 of whoever started the shim; its exit is still recorded" {
	args '["sh", "-c", "i=0; while [ $i -lt 15 ]; do echo tick $i; i=$((i+1)); sleep 0.1; done; exit 7"]'
	bash -c "'$SHIM' --id '$ID' --bundle '$B' --state-dir '$D' >/dev/null; python3 '$CTL' '$S' create >/dev/null; python3 '$CTL' '$S' start >/dev/null; sleep 100" &
	launcher=$!
	track_pid $launcher
	for i in $(seq 100); do [ -S "$S" ] && ctl state | grep -q running && break; sleep 0.05; done
	kill -9 $launcher
	wait $launcher || true
	run ctl wait
	[ "$(field "$output" exit_code)" = 7 ]
	[ "$(grep -c tick "$D/$ID-json.log")" -eq 15 ]
	grep -q '"exit_code":7' "$D/exit"
}

@test "log rotation keeps at most N files of at most the size" {
	args '["sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo line-$i-padding-padding-padding; i=$((i+1)); done"]'
	shim_start --log-max-size 4096 --log-max-files 3 >/dev/null
	ctl create >/dev/null
	ctl start >/dev/null
	ctl wait >/dev/null
	ls -la "$D"
	[ "$(ls "$D" | grep -c -- "-json.log")" -eq 3 ]
	for f in "$D/$ID-json.log"*; do [ "$(stat -c %s "$f")" -le 4096 ]; done
	# the newest file ends with the last line
	tail -n 1 "$D/$ID-json.log" | grep -q 'line-1999-padding'
}

@test "kill, state, stats, and delete refused while running without force" {
	args '["sleep", "100"]'
	shim_start >/dev/null
	ctl create >/dev/null
	ctl start >/dev/null
	run ctl stats
	[ "$status" -eq 0 ]
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["pids"]==1 and d["memory_usage"]>0, d' "$output"
	run ctl delete
	[ "$status" -eq 1 ]
	[[ "$output" == *"is running"* ]]
	run ctl kill 0
	[ "$status" -eq 1 ]
	[[ "$output" == *"invalid signal 0"* ]]
	ctl kill 9 >/dev/null
	run ctl wait
	[ "$(field "$output" exit_code)" = 137 ]
	[ "$(field "$output" signal)" = 9 ]
	run ctl delete
	[ "$status" -eq 0 ]
	! ls -d /sys/fs/cgroup/*/berth/"$ID" /sys/fs/cgroup/berth/"$ID" 2>/dev/null
}

@test "a container writing 1 GiB to stdout is logged completely, and the shim's memory stays small" {
	# 262144 lines of 4095 'a' and a newline
	args '["sh", "-c", "head -c 1073741824 /dev/zero | tr \"\\\\000\" a | fold -w 4095"]'
	shim_start --log-max-size 0 >/dev/null
	ctl create >/dev/null
	ctl start >/dev/null
	run ctl wait
	[ "$(field "$output" exit_code)" = 0 ]
	pid=$(cat "$D/shim.pid")
	hwm=$(awk '/^VmHWM/ {print $2}' /proc/$pid/status)
	echo "shim peak RSS: $hwm kB"
	[ "$hwm" -lt 16384 ]
	# records differ only in their log text: take the fixed part off and count the bytes
	total=$(stat -c %s "$D/$ID-json.log")
	lines=$(wc -l <"$D/$ID-json.log")
	rec=$(head -n 1 "$D/$ID-json.log" | wc -c)
	overhead=$((rec - 4097)) # 4095 a's and an escaped newline
	newlines=$(grep -c 'n","stream"' "$D/$ID-json.log")
	echo "records: $lines, bytes: $total"
	# each newline fold added is two characters in the log and not part of the 1 GiB
	[ $((total - lines * overhead - 2 * newlines)) -eq 1073741824 ]
	[ "$(field "$(ctl state)" log_dropped)" = 0 ]
	rm -f "$D/$ID-json.log"
}

@test "exec through the shim: same pid namespace, its own output stream and exit code" {
	args '["sleep", "100"]'
	shim_start >/dev/null
	ctl create >/dev/null
	ctl start >/dev/null
	pid=$(field "$(ctl state)" pid)
	run ctl exec sh -c 'readlink /proc/self/ns/pid; echo to-stderr >&2; exit 5'
	[ "$status" -eq 5 ]
	[[ "$output" == *"$(readlink /proc/$pid/ns/pid)"* ]]
	[[ "$output" == *"to-stderr"* ]]
	run -127 ctl exec /no/such/thing
	[ "$status" -eq 127 ]
	[[ "$output" == *"No such file or directory"* ]]
	# exec output is not the container's log
	! grep -q to-stderr "$D/$ID-json.log"
	ctl kill 9 >/dev/null
	ctl wait >/dev/null
	run ctl exec true
	[ "$status" -eq 1 ]
	[[ "$output" == *"is not running"* ]]
}

@test "exec through the shim with stdin, and with a terminal" {
	args '["sleep", "100"]'
	shim_start >/dev/null
	ctl create >/dev/null
	ctl start >/dev/null
	run ctl exec --stdin "to the exec
" sh -c 'cat; echo done'
	[ "$status" -eq 0 ]
	[ "$output" = "to the exec
done" ]
	run ctl exec -t sh -c 'tty; test -t 0 && echo stdin-is-a-tty'
	[ "$status" -eq 0 ]
	[[ "$output" == *"/dev/pts/"* ]]
	[[ "$output" == *"stdin-is-a-tty"* ]]
}
