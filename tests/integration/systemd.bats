#!/usr/bin/env bats
# The systemd units we ship, and socket activation without libsystemd.

load helpers

bats_require_minimum_version 1.5.0

setup() { berth_setup; }
teardown() { berth_teardown; }

@test "systemd-analyze verify accepts the shipped units" {
	[ -n "${SYSTEMD_ANALYZE:-}" ] || skip "systemd-analyze not installed"
	mkdir -p "$BERTH_TMP/units"
	for f in "$SRC"/contrib/systemd/*.in; do
		sed -e "s|@sbindir@|$BUILD|g" -e "s|@berthstatedir@|/var/lib/berth|g" \
			-e "s|@berthrundir@|/run/berth|g" "$f" >"$BERTH_TMP/units/$(basename "${f%.in}")"
	done
	run "$SYSTEMD_ANALYZE" verify --man=no "$BERTH_TMP"/units/*.service "$BERTH_TMP"/units/*.socket
	echo "$output"
	[ "$status" -eq 0 ]
	# nothing it complained about in our files
	! grep -q "berth-" <<<"$output"
}

@test "the units keep each daemon's privileges to its documented set" {
	grep -q '^CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_NET_RAW CAP_SYS_ADMIN$' \
		"$SRC/contrib/systemd/berth-netd.service.in"
	grep -q '^CapabilityBoundingSet=CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_FSETID CAP_MKNOD CAP_SETFCAP CAP_SYS_CHROOT CAP_SYS_ADMIN$' \
		"$SRC/contrib/systemd/berth-imaged.service.in"
	for d in containerd imaged netd; do
		grep -q "^ListenStream=@berthrundir@/$d.sock$" "$SRC/contrib/systemd/berth-$d.socket.in"
		grep -q '^SocketMode=0660$' "$SRC/contrib/systemd/berth-$d.socket.in"
		grep -q '^Type=notify$' "$SRC/contrib/systemd/berth-$d.service.in"
	done
	# berth-apid: its own user, group berth, nothing else
	u="$SRC/contrib/systemd/berth-apid.service.in"
	grep -q '^User=berth-apid$' "$u"
	grep -q '^Group=berth$' "$u"
	grep -q '^CapabilityBoundingSet=$' "$u"
	grep -q '^NoNewPrivileges=yes$' "$u"
	grep -q '^ListenStream=@berthrundir@/docker.sock$' "$SRC/contrib/systemd/berth-apid.socket.in"
}

@test "sysusers: group berth and the user berth-apid, whose primary group is berth" {
	command -v systemd-sysusers >/dev/null || skip "systemd-sysusers not installed"
	mkdir -p "$BERTH_TMP/sysroot/etc"
	run -0 systemd-sysusers --root="$BERTH_TMP/sysroot" "$SRC/contrib/sysusers.d/berth.conf"
	gid=$(awk -F: '$1 == "berth" {print $3}' "$BERTH_TMP/sysroot/etc/group")
	[ -n "$gid" ]
	[ "$(awk -F: '$1 == "berth-apid" {print $4}' "$BERTH_TMP/sysroot/etc/passwd")" = "$gid" ]
}

@test "socket activation of berth-apid: it serves the socket it was given, as no one" {
	mkdir -p "$BERTH_RUN"
	chmod 711 "$BERTH_RUN"
	systemd-socket-activate -l "$BERTH_RUN/docker.sock" \
		"$BUILD/berth-apid" --foreground --group "$(id -gn nobody)" --user nobody \
		--root "$BERTH_ROOT" --run "$BERTH_RUN" 2>"$BERTH_TMP/apid.log" &
	track_pid $!
	wait_socket "$BERTH_RUN/docker.sock"
	run -0 curl -fsS --max-time 10 --unix-socket "$BERTH_RUN/docker.sock" http://berth/_ping
	[ "$output" = OK ]
	grep -q "(socket activated)" "$BERTH_TMP/apid.log"
	grep -q "running as uid $(id -u nobody) gid $(id -g nobody)" "$BERTH_TMP/apid.log"
}

@test "socket activation: the daemon serves the socket it was given (LISTEN_FDS)" {
	mkdir -p "$BERTH_RUN"
	chmod 711 "$BERTH_RUN"
	systemd-socket-activate -l "$BERTH_RUN/containerd.sock" \
		"$BUILD/berth-containerd" --foreground --root "$BERTH_ROOT" --run "$BERTH_RUN" \
		2>"$BERTH_TMP/activate.log" &
	track_pid $!
	wait_socket "$BERTH_RUN/containerd.sock"
	python3 - "$BERTH_RUN/containerd.sock" <<'PY'
import socket, struct, sys, json
HDR = struct.Struct('<IHHII')
def field(tag, kind, val): return struct.pack('<HHI', tag, kind, len(val)) + val
def frame(typ, fid, p=b''): return HDR.pack(len(p), typ, 0, fid, 0) + p
def recv(s):
    h = b''
    while len(h) < 16: h += s.recv(16 - len(h))
    n = HDR.unpack(h)[0]
    p = b''
    while len(p) < n: p += s.recv(n - len(p))
    return p
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
s.sendall(frame(1, 1, field(1, 1, struct.pack('<I', 1)) + field(2, 1, struct.pack('<I', 1))))
recv(s)
s.sendall(frame(4, 2))
p = recv(s)
doc = json.loads(p[8:])
assert doc["socket_activated"] is True, doc
PY
	grep -q "(socket activated)" "$BERTH_TMP/activate.log"
	# it does not remove a socket it did not create
	pid=$(daemon_pid containerd)
	kill "$pid"
	wait_gone "$pid"
	[ -S "$BERTH_RUN/containerd.sock" ]
}
