#!/usr/bin/env bats
# Authorization (berth-policy(5)): members of the group who are not root get
# a profile, the daemons that own the objects enforce it, and every request
# that changes something is audited. Real users, real daemons, the real
# docker CLI over TLS.

load helpers

bats_require_minimum_version 1.5.0

setup_file() {
	export POL_GROUP="bpol$$" POL_USER="bpolu$$" POL_ADMIN="bpola$$" POL_OPS="bpolo$$"
	groupadd --system "$POL_GROUP"
	groupadd --system "$POL_OPS"
	useradd --system -M -N -g "$POL_GROUP" -s /bin/sh "$POL_USER"
	useradd --system -M -N -g "$POL_GROUP" -G "$POL_OPS" -s /bin/sh "$POL_ADMIN"
}

teardown_file() {
	userdel "$POL_USER" 2>/dev/null || true
	userdel "$POL_ADMIN" 2>/dev/null || true
	groupdel "$POL_OPS" 2>/dev/null || true
	groupdel "$POL_GROUP" 2>/dev/null || true
}

setup() {
	berth_setup
	export BERTH_POLICY="$BERTH_TMP/policy.json"
	python3 "$SRC/tests/fixtures/make-images.py" "$BERTH_TMP/images" "$BERTH_TMP/canary" >/dev/null
	"$BERTH" system start --group "$POL_GROUP" >/dev/null
	"$BERTH" load -q -i "$BERTH_TMP/images/busybox.tar" >/dev/null
	IMG=berth-test/busybox
}

teardown() {
	engine_teardown
}

# as USER berth ARGS...: the CLI as that member of the group (not root).
as() {
	local u=$1
	shift
	setpriv --reuid "$u" --regid "$POL_GROUP" --init-groups "$BERTH" "$@"
}

# The daemons reread the policy when it changes; a new mtime even within one second.
policy() {
	cat >"$BERTH_POLICY.tmp"
	mv "$BERTH_POLICY.tmp" "$BERTH_POLICY"
}

no_containers() {
	[ -z "$("$BERTH" ps -aq)" ]
}

@test "a member who is not root gets the restricted profile: each way to root is refused naming its rule, exit 125, nothing made" {
	denied() { # RULE ARGS...
		local rule=$1
		shift
		run -125 as "$POL_USER" run --rm "$@" "$IMG" true
		[[ "$output" == *"denied to uid $(id -u "$POL_USER") ($POL_USER): "*"rule $rule of profile restricted"* ]] || {
			echo "$output"
			return 1
		}
		no_containers
	}
	# berth info says who one is to the daemons and what that gives
	run -0 as "$POL_USER" info
	[[ "$output" == *"Authorization:      uid $(id -u "$POL_USER") ($POL_USER): profile restricted"* ]]
	[[ "$output" == *"$BERTH_POLICY (none: the defaults)"* ]]
	denied privileged --privileged
	denied capabilities --cap-add SYS_ADMIN
	denied capabilities --cap-add ALL
	denied host_namespaces --network host
	denied host_namespaces --pid host
	denied host_namespaces --ipc host
	denied host_namespaces --uts host
	denied bind_mounts -v /:/host
	denied bind_mounts -v /etc:/x:ro
	denied devices --device /dev/null
	denied unconfined --security-opt seccomp=unconfined
	denied sysctls --sysctl net.ipv4.ip_forward=1
	denied privileged_ports -p 80:80
	# a symlink to / is the directory it names
	ln -s / "$BERTH_TMP/root-link"
	denied bind_mounts -v "$BERTH_TMP/root-link:/host"
	run -0 grep -c "audit: container.create .*denied to uid $(id -u "$POL_USER")" "$BERTH_ROOT/log/berth-containerd.log"
	[ "$output" = 14 ]
}

@test "a member cannot use what root made and the profile would refuse: exec, attach, start, cp, --network container:" {
	"$BERTH" run -d --name rootpriv --privileged "$IMG" sleep 1000 >/dev/null
	"$BERTH" run -d --name roothost --network host "$IMG" sleep 1000 >/dev/null
	"$BERTH" create --name rootmade --privileged "$IMG" true >/dev/null
	"$BERTH" run -d --name plain "$IMG" sleep 1000 >/dev/null
	run -125 as "$POL_USER" exec rootpriv id
	[[ "$output" == *"denied to uid $(id -u "$POL_USER") ($POL_USER): container rootpriv: --privileged is not allowed: rule privileged of profile restricted"* ]]
	run -125 as "$POL_USER" attach rootpriv
	[[ "$output" == *"container rootpriv: --privileged is not allowed"* ]]
	run -125 as "$POL_USER" start rootmade
	[[ "$output" == *"container rootmade: --privileged is not allowed"* ]]
	[ "$("$BERTH" inspect --format '{{.State.Status}}' rootmade)" = created ]
	run -125 as "$POL_USER" cp rootpriv:/etc/hostname -
	[[ "$output" == *"container rootpriv: --privileged is not allowed"* ]]
	run -125 as "$POL_USER" export -o "$BERTH_TMP/x.tar" rootmade
	# imaged copies for a member only with containerd's leave: asking it directly is refused
	run -0 python3 - "$BERTH_RUN/imaged.sock" "$(id -u "$POL_USER")" \
		"$(getent group "$POL_GROUP" | cut -d: -f3)" "$("$BERTH" inspect --format '{{.Id}}' rootpriv)" <<'PY'
import os, socket, struct, sys
uid, gid, cid = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
os.setgroups([gid]); os.setgid(gid); os.setuid(uid)
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
def field(tag, kind, val):
    return struct.pack("<HHI", tag, kind, len(val)) + val
def frame(typ, fid, body, nfds=0):
    return struct.pack("<IHHII", len(body), typ, 0, fid, nfds) + body
def recv():
    h = s.recv(16); n = struct.unpack("<I", h[:4])[0]; b = b""
    while len(b) < n: b += s.recv(n - len(b))
    return b
s.sendall(frame(1, 1, field(1, 1, struct.pack("<I", 1)) + field(2, 1, struct.pack("<I", 1))))
recv()
r, w = os.pipe()
body = field(15, 4, cid.encode()) + field(3, 4, b"/etc") + field(17, 1, struct.pack("<I", 0))
data = frame(0x0313, 2, body, 1)
socket.send_fds(s, [data[:1]], [w]); s.sendall(data[1:])
print(recv())
PY
	[[ "$output" == *"copying a container needs berth-containerd's leave first"* ]]
	run -125 as "$POL_USER" run --rm --network container:roothost "$IMG" true
	[[ "$output" == *"--network container:roothost: "*"container roothost: --network host is not allowed: rule host_namespaces"* ]]
	# a container the profile could have made is fine, and so is stopping root's
	run -0 as "$POL_USER" exec plain echo in-plain
	[ "$output" = in-plain ]
	as "$POL_USER" cp plain:/etc/hostname - >"$BERTH_TMP/copied.tar"
	[ "$(tar -tf "$BERTH_TMP/copied.tar")" = hostname ]
	run -0 as "$POL_USER" run --rm --network container:plain "$IMG" echo joined
	[ "$output" = joined ]
	run -0 as "$POL_USER" stop -t 1 rootpriv
	# and root still does all of it
	run -0 "$BERTH" start rootpriv
	run -0 "$BERTH" exec rootpriv echo root-in
	[ "$output" = root-in ]
}

@test "the restricted profile still runs ordinary containers: run, -d with a high port, a named volume, exec, logs, stop, rm" {
	run -0 as "$POL_USER" run --rm --cap-add NET_BIND_SERVICE "$IMG" echo ordinary
	[ "$output" = ordinary ]
	run -0 as "$POL_USER" run -d --name web -p 127.0.0.1:18931:80 -v data:/data "$IMG" \
		sh -c 'while true; do busybox nc -l -p 80 </data/page; done'
	run -0 as "$POL_USER" exec web sh -c 'echo served >/data/page'
	for i in $(seq 50); do
		output=$(busybox nc 127.0.0.1 18931 </dev/null 2>/dev/null) && [ "$output" = served ] && break
		sleep 0.1
	done
	[ "$output" = served ]
	run -0 as "$POL_USER" ps --format '{{.Names}}'
	[ "$output" = web ]
	run -0 as "$POL_USER" rm -f web
	no_containers
	# root is unrestricted with no policy file at all
	[ ! -e "$BERTH_POLICY" ]
	run -0 "$BERTH" run --rm --privileged --network host "$IMG" sh -c 'grep CapEff /proc/self/status'
	# CAP_SYS_ADMIN (bit 21) is there
	[ $((0x${output#CapEff:	} >> 21 & 1)) = 1 ]
}

@test "one line grants more: a user made unrestricted, a group given a profile of its own, applied without a restart" {
	run -125 as "$POL_ADMIN" run --rm --privileged "$IMG" true
	mkdir -p "$BERTH_TMP/shared/sub" "$BERTH_TMP/rw"
	echo hello >"$BERTH_TMP/shared/sub/f"
	ops='"profiles": {"ops": {"capabilities": ["NET_ADMIN"], "sysctls": ["net.ipv4.*"],
	    "bind_mounts": [{"source": "'$BERTH_TMP/shared'", "read_only": true}, "'$BERTH_TMP/rw'"],
	    "privileged_ports": true}}'
	policy <<EOF
{$ops,
 "identities": [{"user": "$POL_ADMIN", "profile": "unrestricted"}, {"group": "$POL_OPS", "profile": "ops"}]}
EOF
	run -0 as "$POL_ADMIN" run --rm --privileged "$IMG" true
	# the group's profile, for a member whose user line is removed
	policy <<EOF
{$ops, "identities": [{"group": "$POL_OPS", "profile": "ops"}]}
EOF
	run -125 as "$POL_ADMIN" run --rm --privileged "$IMG" true
	[[ "$output" == *"rule privileged of profile ops"* ]]
	run -0 as "$POL_ADMIN" run --rm --cap-add NET_ADMIN --sysctl net.ipv4.ip_forward=1 \
		-v "$BERTH_TMP/shared/sub:/s:ro" -v "$BERTH_TMP/rw:/rw" "$IMG" sh -c 'cat /s/f; touch /rw/ok'
	[ "$output" = hello ]
	[ -f "$BERTH_TMP/rw/ok" ]
	# a symlink within the allowed directory is what it names: resolved, then bound without it
	ln -s sub "$BERTH_TMP/shared/alias"
	run -0 as "$POL_ADMIN" run --rm -v "$BERTH_TMP/shared/alias:/s:ro" "$IMG" cat /s/f
	[ "$output" = hello ]
	run -125 as "$POL_ADMIN" run --rm -v "$BERTH_TMP/shared:/s" "$IMG" true
	[[ "$output" == *"a writable bind mount of $BERTH_TMP/shared ($BERTH_TMP/shared is allowed read-only)"*"rule bind_mounts of profile ops"* ]]
	run -125 as "$POL_ADMIN" run --rm -v "$BERTH_TMP/shared/../rw2:/s:ro" "$IMG" true
	run -125 as "$POL_ADMIN" run --rm --sysctl kernel.msgmax=1 "$IMG" true
	[[ "$output" == *"rule sysctls of profile ops"* ]]
	# the other member is still restricted
	run -125 as "$POL_USER" run --rm -v "$BERTH_TMP/rw:/rw" "$IMG" true
	[[ "$output" == *"rule bind_mounts of profile restricted"* ]]
	no_containers
}

@test "read-only profile: ps, logs and inspect work; run, stop, rm, pull, tag, network and volume changes are refused by the daemon that owns them" {
	"$BERTH" run -d --name keep "$IMG" sh -c 'echo kept; sleep 100' >/dev/null
	policy <<EOF
{"default": "read-only"}
EOF
	run -0 as "$POL_USER" ps --format '{{.Names}}'
	[ "$output" = keep ]
	run -0 as "$POL_USER" logs keep
	[ "$output" = kept ]
	run -0 as "$POL_USER" inspect --format '{{.State.Status}}' keep
	[ "$output" = running ]
	run -0 as "$POL_USER" images --format '{{.Repository}}'
	[ "$output" = "$IMG" ]
	run -125 as "$POL_USER" run --rm "$IMG" true
	[[ "$output" == *"denied to uid $(id -u "$POL_USER") ($POL_USER): container.create is not allowed: rule read_only of profile read-only"* ]]
	run -125 as "$POL_USER" stop keep
	[[ "$output" == *"rule read_only"* ]]
	run -125 as "$POL_USER" rm -f keep
	run -125 as "$POL_USER" exec keep true
	run -125 as "$POL_USER" tag "$IMG" other
	[[ "$output" == *"image.tag"*"rule read_only"* ]]
	run -125 as "$POL_USER" pull 127.0.0.1:1/none
	[[ "$output" == *"image.pull"*"rule read_only"* ]]
	run -125 as "$POL_USER" network create nope
	[[ "$output" == *"network.create"*"rule read_only"* ]]
	run -125 as "$POL_USER" volume create nope
	# nothing changed; root is still unrestricted
	run -0 "$BERTH" inspect --format '{{.State.Status}}' keep
	[ "$output" = running ]
	run -0 "$BERTH" images --format '{{.Repository}}'
	[ "$output" = "$IMG" ]
	[ "$("$BERTH" network ls --format '{{.Name}}')" = bridge ]
	[ -z "$("$BERTH" volume ls -q)" ]
	run -0 "$BERTH" stop -t 1 keep
}

@test "allowed registries: a pull from another and a run of an image from another are refused; listed ones pass" {
	policy <<EOF
{"profiles": {"lib": {"images": ["docker.io/library/", "127.0.0.1:5999/"]}}, "default": "lib"}
EOF
	run -125 as "$POL_USER" pull evil.example.com/x:1
	[[ "$output" == *"image evil.example.com/x:1 is not allowed: rule images of profile lib"* ]]
	run -125 as "$POL_USER" run --rm "$IMG" true
	[[ "$output" == *"image docker.io/berth-test/busybox:latest is not allowed: rule images"* ]]
	id=$("$BERTH" images -q "$IMG")
	run -125 as "$POL_USER" run --rm "$id" true
	[[ "$output" == *"not ids"*"rule images"* ]]
	run -0 grep -q "audit: image.pull evil.example.com/x:1: denied to uid $(id -u "$POL_USER")" "$BERTH_ROOT/log/berth-imaged.log"
	policy <<EOF
{"profiles": {"lib": {"images": ["docker.io/berth-test/"]}}, "default": "lib"}
EOF
	run -0 as "$POL_USER" run --rm "$IMG" echo listed
	[ "$output" = listed ]
}

@test "an invalid policy: root still works, every other member is refused with the file and the fault" {
	echo '{"profiles": {"x": {"privileged": "yes"}}}' | policy
	run -125 as "$POL_USER" run --rm "$IMG" true
	[[ "$output" == *"policy file $BERTH_POLICY is invalid: profile x: privileged must be true or false"* ]]
	run -0 "$BERTH" run --rm "$IMG" echo root
	[ "$output" = root ]
	for bad in '[]' '{"identities": [{"user": "a"}]}' '{"identities": [{"user": "a", "profile": "nope"}]}' \
		'{"profiles": {"restricted": {}}}' '{"profiles": {"x": {"typo": true}}}' '{"defualt": "x"}' \
		'{"identities": [{"user": "a", "uid": 1, "profile": "restricted"}]}' 'not json'; do
		echo "$bad" | policy
		# reads need no profile: only what writes is refused
		run -0 as "$POL_USER" ps
		run -125 as "$POL_USER" run --rm "$IMG" true
		[[ "$output" == *"policy file $BERTH_POLICY is invalid: "* ]] || {
			echo "$bad: $output"
			return 1
		}
	done
	rm "$BERTH_POLICY"
	run -0 as "$POL_USER" run --rm "$IMG" echo back
	[ "$output" = back ]
}

@test "audit: every request that writes is logged and is an event, with who, what and the outcome, from containerd, imaged and netd" {
	"$BERTH" events --filter type=audit --format json >"$BERTH_TMP/events" &
	track_pid $!
	sleep 0.3
	run -125 as "$POL_USER" run --rm --privileged "$IMG" true
	run -0 as "$POL_USER" tag "$IMG" mine
	run -0 as "$POL_USER" network create audited
	run -0 as "$POL_USER" network rm audited
	run -0 "$BERTH" rmi mine
	run -0 as "$POL_USER" ps
	sleep 0.5
	uid=$(id -u "$POL_USER")
	ev() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    e = json.loads(l); a = e["Actor"]["Attributes"]
    print(e["Action"], a["request"], a["name"], a.get("uid", "-"), a.get("profile", "-"), a["daemon"])' "$BERTH_TMP/events"; }
	run -0 ev
	[ "${lines[0]}" = "denied container.create $IMG $uid restricted berth-containerd" ]
	[ "${lines[1]}" = "allowed image.tag $IMG $uid restricted berth-imaged" ]
	[ "${lines[2]}" = "allowed network.create audited $uid restricted berth-netd" ]
	[ "${lines[3]}" = "allowed network.remove audited $uid restricted berth-netd" ]
	[ "${lines[4]}" = "allowed image.remove mine 0 unrestricted berth-imaged" ]
	# reads are not audited
	[ "${#lines[@]}" = 5 ]
	run -0 grep -q "audit: container.create $IMG: denied to uid $uid ($POL_USER): --privileged is not allowed: rule privileged" \
		"$BERTH_ROOT/log/berth-containerd.log"
	run -0 grep -q "audit: network.create audited by uid $uid ($POL_USER) (profile restricted): allowed" \
		"$BERTH_ROOT/log/berth-netd.log"
}

@test "the role apid is only for berth-apid's user: a member cannot claim to act for root" {
	run -0 python3 - "$BERTH_RUN/containerd.sock" "$(id -u "$POL_USER")" "$(getent group "$POL_GROUP" | cut -d: -f3)" <<'PY'
import os, socket, struct, sys
uid, gid = int(sys.argv[2]), int(sys.argv[3])
os.setgroups([gid]); os.setgid(gid); os.setuid(uid)
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
def field(tag, kind, val):
    return struct.pack("<HHI", tag, kind, len(val)) + val
# HELLO: protocol 1, role apid (1 << 5), acting for uid 0
body = b"".join(field(t, 1, struct.pack("<I", v)) for t, v in ((1, 1), (2, 32), (23, 0)))
s.sendall(struct.pack("<IHHII", len(body), 1, 0, 1, 0) + body)
print(s.recv(4096))
PY
	[[ "$output" == *"role apid is only for berth-apid's user"* ]]
}

# The docker CLI this host has (/usr/local/bin/docker 28).
need_docker() {
	command -v docker >/dev/null || skip "the docker CLI is not installed"
}

@test "through berth-apid: a Unix client is its own uid; over TLS the certificate subject picks the profile (admin, read-only), 403 on denial" {
	need_docker
	command -v openssl >/dev/null || skip "openssl is not installed"
	T=$BERTH_TMP/tls
	tls_certs "$T"
	chmod -R a+rX "$T"
	port=$(free_port)
	"$BERTH" system stop >/dev/null
	BERTH_APID_TCP=127.0.0.1:$port BERTH_APID_TLSCACERT=$T/ca.pem \
		BERTH_APID_TLSCERT=$T/server-cert.pem BERTH_APID_TLSKEY=$T/server-key.pem \
		"$BERTH" system start --group "$POL_GROUP" >/dev/null
	policy <<EOF
{"identities": [{"subject": "CN=admin", "profile": "unrestricted"},
                {"subject": "CN=viewer", "profile": "read-only"}]}
EOF
	export DOCKER_CONFIG="$BERTH_TMP/docker-config"
	tlsd() { # CERT-NAME ARGS...
		local c=$1
		shift
		DOCKER_HOST=tcp://127.0.0.1:$port docker --tlsverify --tlscacert "$T/ca.pem" \
			--tlscert "$T/$c-cert.pem" --tlskey "$T/$c-key.pem" "$@"
	}
	cp "$T/cert.pem" "$T/admin-cert.pem"
	cp "$T/key.pem" "$T/admin-key.pem"
	run -0 tlsd admin run --rm --privileged "$IMG" sh -c 'grep -c . /proc/self/status >/dev/null && echo admin-ran'
	[ "$output" = admin-ran ]
	run -0 tlsd admin run -d --name shown "$IMG" sh -c 'echo shown-log; sleep 100'
	run -0 tlsd viewer ps --format '{{.Names}}'
	[ "$output" = shown ]
	run -0 tlsd viewer info --format '{{json .SecurityOptions}}'
	[[ "$output" == *'"name=berth-policy,profile=read-only"'* ]]
	run -0 tlsd viewer logs shown
	[ "$output" = shown-log ]
	run -0 tlsd viewer inspect --format '{{.State.Running}}' shown
	[ "$output" = true ]
	run -125 tlsd viewer run --rm "$IMG" true
	[[ "$output" == *"denied to TLS client 'CN=viewer' via berth-apid: container.create is not allowed: rule read_only of profile read-only"* ]]
	run -1 tlsd viewer stop shown
	[[ "$output" == *"rule read_only"* ]]
	# the status is Docker's 403
	run -0 curl -s -o /dev/null -w '%{http_code}' --cacert "$T/ca.pem" --cert "$T/viewer-cert.pem" \
		--key "$T/viewer-key.pem" -X POST "https://127.0.0.1:$port/v1.45/containers/shown/stop"
	[ "$output" = 403 ]
	run -0 "$BERTH" inspect --format '{{.State.Status}}' shown
	[ "$output" = running ]
	# on the Unix socket, a member who is not root is their own uid: restricted
	mkdir -p "$BERTH_TMP/home"
	chown "$POL_USER" "$BERTH_TMP/home"
	run -125 setpriv --reuid "$POL_USER" --regid "$POL_GROUP" --init-groups env HOME="$BERTH_TMP/home" \
		DOCKER_CONFIG="$BERTH_TMP/home/.docker" DOCKER_HOST="unix://$BERTH_RUN/docker.sock" \
		docker run --rm --privileged "$IMG" true
	[[ "$output" == *"denied to uid $(id -u "$POL_USER") ($POL_USER) via berth-apid: --privileged is not allowed: rule privileged of profile restricted"* ]]
	# what only the API can ask for: the host's pid, ipc and uts namespaces
	for ns in pid ipc uts; do
		run -125 setpriv --reuid "$POL_USER" --regid "$POL_GROUP" --init-groups env HOME="$BERTH_TMP/home" \
			DOCKER_CONFIG="$BERTH_TMP/home/.docker" DOCKER_HOST="unix://$BERTH_RUN/docker.sock" \
			docker run --rm "--$ns" host "$IMG" true
		[[ "$output" == *"--$ns host is not allowed: rule host_namespaces of profile restricted"* ]]
	done
	# another's binds taken with --volumes-from are the member's own binds to the policy;
	# /proc and /sys unmasked and device cgroup rules are refused too
	run -0 tlsd admin run -d --name rootbind -v /:/host "$IMG" sleep 100
	for args in "--volumes-from=rootbind|rule bind_mounts" "--security-opt=systempaths=unconfined|rule unconfined" \
		"--device-cgroup-rule=b *:* rwm|rule devices" "--oom-score-adj=-1000|rule host_resources" \
		"--oom-kill-disable|rule host_resources"; do
		run -125 setpriv --reuid "$POL_USER" --regid "$POL_GROUP" --init-groups env HOME="$BERTH_TMP/home" \
			DOCKER_CONFIG="$BERTH_TMP/home/.docker" DOCKER_HOST="unix://$BERTH_RUN/docker.sock" \
			docker run --rm "${args%%|*}" "$IMG" true
		[[ "$output" == *"${args#*|} of profile restricted"* ]]
	done
	run -0 tlsd admin rm -f rootbind
	run -0 grep -q "audit: container.create $IMG: denied to TLS client 'CN=viewer' via berth-apid" \
		"$BERTH_ROOT/log/berth-containerd.log"
	run -0 tlsd admin rm -f shown
}
