# Shared by every integration test: a private root/run per test, the built
# binaries, and cleanup of whatever the test started, even when it fails.

BUILD=${BERTH_BUILDDIR:?run through make check or tests/run}
SRC=${BERTH_SRCDIR:-$BUILD}
BERTH="$BUILD/berth"
export BERTH_DAEMON_DIR="$BUILD"
# a VPATH build (make distcheck) has the profile only in the sources
export BERTH_SECCOMP_PROFILE="$SRC/contrib/seccomp/default.json"

berth_setup() {
	[ "$(id -u)" = 0 ] || skip "integration tests need root"
	BERTH_TMP=$(mktemp -d /tmp/berth-it.XXXXXX)
	chmod 0755 "$BERTH_TMP"
	export BERTH_ROOT="$BERTH_TMP/root" BERTH_RUN="$BERTH_TMP/run"
	# netd's default bridge, nftables table and subnet: this test's own
	export BERTH_BRIDGE="bt$$x${BATS_TEST_NUMBER:-0}"
	export BERTH_NFT_TABLE="berth_test_$$_${BATS_TEST_NUMBER:-0}"
	# one no link of the host has (another test's bridge may hold one)
	local net
	while :; do
		net="10.$((RANDOM % 150 + 100)).$((RANDOM % 256))"
		ip -4 -o addr show | grep -q " inet $net\." || break
	done
	export BERTH_SUBNET="$net.0/24"
	BG_PIDS=""
}

# Remember a pid this test started, so teardown ends it.
# refused CODE MESSAGE CMD...: CMD fails with exit status CODE and says MESSAGE (a bad-input case).
refused() {
	local code=$1 msg=$2
	shift 2
	run "$@"
	[ "$status" -eq "$code" ] || { echo "exit $status, not $code: $*" >&2; echo "$output" >&2; return 1; }
	[[ "$output" == *"$msg"* ]] || { echo "not said: $msg" >&2; echo "$output" >&2; return 1; }
}

track_pid() {
	BG_PIDS="$BG_PIDS $1"
}

wait_gone() {
	local pid=$1 i=0
	while [ -d "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 1000 ] && return 1
		sleep 0.01
	done
}

berth_teardown() {
	[ -n "${BERTH_TMP:-}" ] || return 0
	local f pid
	for f in "$BERTH_RUN"/*.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		kill "$pid" 2>/dev/null && wait_gone "$pid"
	done
	for pid in $BG_PIDS; do
		kill "$pid" 2>/dev/null && wait_gone "$pid"
	done
	# the bridges and the nftables table of this test's netd
	if [ -f "$BERTH_ROOT/network/networks.json" ]; then
		python3 -c 'import json,sys
for n in json.load(open(sys.argv[1])): print(n["Options"]["com.docker.network.bridge.name"])' \
			"$BERTH_ROOT/network/networks.json" 2>/dev/null |
			while read -r br; do ip link del "$br" 2>/dev/null || true; done
	fi
	ip link del "$BERTH_BRIDGE" 2>/dev/null || true
	nft delete table inet "$BERTH_NFT_TABLE" 2>/dev/null || true
	# mounts a test made under its directory (deepest first)
	awk -v t="$BERTH_TMP" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r |
		while read -r m; do umount -l "$m" || true; done
	rm -rf "$BERTH_TMP"
	# the parent cgroup berth makes for containers, once no test uses it
	rmdir /sys/fs/cgroup/*/berth /sys/fs/cgroup/berth 2>/dev/null || true
}

# podman with every piece of its state in this test's directory: storage,
# run root, tmp dir, and file locks there instead of the host's one
# /dev/shm/libpod_lock segment (which a fresh run root's refresh frees under
# whatever another test's podman holds). No events, no systemd, and an
# empty credentials file of its own: a DOCKER_CONFIG the caller exported,
# pointing where no config.json is, makes every podman command fail.
pod() {
	local d="$BERTH_TMP/podman"
	if [ ! -f "$d/containers.conf" ]; then
		mkdir -p "$d/tmp" "$d/volumes"
		printf '[engine]\ntmp_dir = "%s"\nlock_type = "file"\nevents_logger = "none"\nvolume_path = "%s"\nstatic_dir = "%s"\n' \
			"$d/tmp" "$d/volumes" "$d/static" >"$d/containers.conf"
		echo '{}' >"$d/auth.json"
	fi
	env -u DOCKER_CONFIG CONTAINERS_CONF="$d/containers.conf" REGISTRY_AUTH_FILE="$d/auth.json" \
		podman --root "$d/root" --runroot "$d/run" --storage-driver vfs --cgroup-manager cgroupfs "$@"
}

# Wait until a socket exists (a daemon started by hand).
wait_socket() {
	local i=0
	while [ ! -S "$1" ]; do
		i=$((i + 1))
		[ $i -gt 500 ] && return 1
		sleep 0.01
	done
}

daemon_pid() {
	cat "$BERTH_RUN/berth-$1.pid"
}

# Run the raw-frame tool (tests/integration/rawframe.py) against a socket.
rawframe() {
	python3 "$SRC/tests/integration/rawframe.py" "$@"
}

# A TCP port nothing listens on now (tests start their servers on random ports; two of them,
# or another test's server, must not meet on one).
# A port nothing listens on, between the fixed ports tests publish (18xxx)
# and the kernel's ephemeral range, so no client connection of a test
# running next to this one can be holding it.
free_port() {
	local p low
	read -r low _ </proc/sys/net/ipv4/ip_local_port_range
	[ "$low" -gt 22000 ] || low=32768
	while :; do
		p=$((20000 + RANDOM % (low - 20000)))
		ss -ltnH "sport = :$p" | grep -q . || {
			echo "$p"
			return 0
		}
	done
}

# serve_on_free_port NAME TEMPLATE CMD...: picks a free port, writes
# TEMPLATE (unless it is -) to $BERTH_TMP/NAME.conf with @ADDR@ made
# 127.0.0.1:<port>, runs CMD with @PORT@ in its arguments made <port> in the
# background (stdout to NAME.out, stderr to NAME.log) and waits until it
# listens. Another test may take the port between the choice and the bind:
# then it tries another. Sets SERVED_ADDR; fails with the server's log after
# five tries, or when one try is not listening in 30 s.
serve_on_free_port() {
	local name=$1 template=$2 try port pid i a
	local -a cmd
	shift 2
	for try in 1 2 3 4 5; do
		port=$(free_port)
		[ "$template" = - ] || sed "s/@ADDR@/127.0.0.1:$port/g" "$template" >"$BERTH_TMP/$name.conf"
		cmd=()
		for a in "$@"; do cmd+=("${a//@PORT@/$port}"); done
		"${cmd[@]}" >"$BERTH_TMP/$name.out" 2>"$BERTH_TMP/$name.log" &
		pid=$!
		track_pid $pid
		for i in $(seq 300); do
			if ss -ltnH "sport = :$port" | grep -q .; then
				SERVED_ADDR="127.0.0.1:$port"
				return 0
			fi
			kill -0 $pid 2>/dev/null || break
			sleep 0.1
		done
		kill -0 $pid 2>/dev/null && break
	done
	echo "$name did not come up (last on port $port):" >&2
	cat "$BERTH_TMP/$name.log" >&2
	return 1
}

# Containers first (their shims are ours: a shim outlives containerd), then the daemons.
engine_teardown() {
	local f
	if [ -S "$BERTH_RUN/containerd.sock" ]; then
		"$BERTH" rm -f $("$BERTH" ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	fi
	for f in "$BERTH_RUN"/containers/*/shim.pid; do
		[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	berth_teardown
}

# serve_registry NAME [AUTH-YAML] [SKOPEO-ARGS...]: Debian's docker-registry on a free port
# of 127.0.0.1, its storage in $BERTH_TMP/NAME, holding $BERTH_TMP/images/busybox.tar as
# test/busybox:1; sets SERVED_ADDR.
serve_registry() {
	local name=$1 auth=${2:-}
	shift 2 || shift
	mkdir -p "$BERTH_TMP/$name"
	cat >"$BERTH_TMP/$name.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $BERTH_TMP/$name
$auth
http:
  addr: @ADDR@
YML
	serve_on_free_port "$name" "$BERTH_TMP/$name.yml" docker-registry serve "$BERTH_TMP/$name.conf"
	skopeo copy -q --dest-tls-verify=false "$@" "docker-archive:$BERTH_TMP/images/busybox.tar" \
		"docker://$SERVED_ADDR/test/busybox:1"
}

# start_registry: a registry that wants no credentials; sets REG to its ADDR:PORT.
start_registry() {
	serve_registry registry
	REG=$SERVED_ADDR
}

# start_auth_registry: one that wants the credentials tester:s3cret (htpasswd); sets AREG.
start_auth_registry() {
	python3 -W ignore -c "import crypt; print('tester:' + crypt.crypt('s3cret', crypt.mksalt(crypt.METHOD_BLOWFISH)))" >"$BERTH_TMP/htpasswd"
	serve_registry aregistry "auth:
  htpasswd:
    realm: berth-test
    path: $BERTH_TMP/htpasswd" --dest-creds tester:s3cret
	AREG=$SERVED_ADDR
}

# tls_certs DIR: a CA, apid's certificate for 127.0.0.1, two clients' (CN=admin: cert.pem,
# CN=viewer: viewer-cert.pem), and a client's from another CA.
tls_certs() {
	local d=$1
	mkdir -p "$d"
	(
		cd "$d"
		key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
		key ca-key.pem && key other-ca-key.pem && key server-key.pem && key key.pem && key rogue-key.pem
		key viewer-key.pem
		openssl req -x509 -key ca-key.pem -out ca.pem -days 2 -subj "/CN=berth test CA"
		openssl req -x509 -key other-ca-key.pem -out other-ca.pem -days 2 -subj "/CN=another CA"
		printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
		printf 'extendedKeyUsage=clientAuth\n' >client.ext
		sign() { # CSR-KEY CN CA OUT EXT
			openssl req -new -key "$1" -subj "/CN=$2" |
				openssl x509 -req -CA "$3.pem" -CAkey "$3-key.pem" -CAcreateserial -days 2 \
					-extfile "$5" -out "$4" 2>/dev/null
		}
		sign server-key.pem apid ca server-cert.pem server.ext
		sign key.pem admin ca cert.pem client.ext
		sign viewer-key.pem viewer ca viewer-cert.pem client.ext
		sign rogue-key.pem rogue other-ca rogue-cert.pem client.ext
	)
}
