#!/usr/bin/env bats
# An installed berth: the distributed sources configured into a temporary
# prefix, built, installed, and the quick start run from the installed
# binaries alone, with no BERTH_* variable pointing anywhere.

load helpers

setup() {
	berth_setup
	PREFIX="$BERTH_TMP/p"
	# the defaults this build is configured with; teardown reads these
	BERTH_ROOT="$BERTH_TMP/var/lib/berth" BERTH_RUN="$BERTH_TMP/run/berth"
	BERTH_BRIDGE=berth0 BERTH_NFT_TABLE=berth
	export -n BERTH_ROOT BERTH_RUN BERTH_BRIDGE BERTH_NFT_TABLE BERTH_SUBNET
	unset BERTH_DAEMON_DIR BERTH_SUBNET
}

teardown() {
	if [ -x "$PREFIX/bin/berth" ] && [ -S "$BERTH_RUN/containerd.sock" ]; then
		"$PREFIX/bin/berth" system stop >/dev/null 2>&1 || true
	fi
	# the default bridge and table are this test's only if they were not there before
	if [ "${OWN_DEFAULTS:-0}" = 1 ]; then
		ip link del berth0 2>/dev/null || true
		nft delete table inet berth 2>/dev/null || true
	else
		BERTH_BRIDGE=none BERTH_NFT_TABLE=none
	fi
	berth_teardown
}

# no variable of ours may reach what runs from the prefix
installed() {
	env -u BERTH_ROOT -u BERTH_RUN -u BERTH_DAEMON_DIR -u BERTH_SECCOMP_PROFILE \
		-u BERTH_BRIDGE -u BERTH_NFT_TABLE -u BERTH_SUBNET -u BERTH_CONFIG \
		"$PREFIX/bin/berth" "$@"
}

@test "installed into a prefix, berth runs the quick start with no BERTH_* variable" {
	if ip link show berth0 >/dev/null 2>&1 || nft list table inet berth >/dev/null 2>&1; then
		skip "another berth uses the default bridge berth0 or table berth on this host"
	fi
	command -v gcc >/dev/null || skip "no compiler"
	# what `make dist` ships, so a file missing from the tarball fails here too
	make -s -C "$BUILD" distdir distdir="$BERTH_TMP/src" >/dev/null
	# every file of the repository is in it (a test or fixture left out fails distcheck)
	if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
		missing=$(git -C "$SRC" ls-files | grep -vx .gitignore |
			while read -r f; do [ -e "$BERTH_TMP/src/$f" ] || echo "$f"; done)
		echo "not in the tarball: $missing"
		[ -z "$missing" ]
	fi
	cd "$BERTH_TMP/src"
	./configure --quiet --prefix="$PREFIX" --with-state-dir="$BERTH_ROOT" \
		--with-run-dir="$BERTH_RUN"
	make -s -j"$(nproc)" all >"$BERTH_TMP/build.log" 2>&1 || {
		tail -n 30 "$BERTH_TMP/build.log"
		false
	}
	make -s install >"$BERTH_TMP/install.log" 2>&1 || {
		tail -n 30 "$BERTH_TMP/install.log"
		false
	}
	cd /
	rm -rf "$BERTH_TMP/src"
	# what the units and containerd expect is where install put it
	[ -f "$PREFIX/share/berth/seccomp/default.json" ]
	grep -qx "ListenStream=$BERTH_RUN/containerd.sock" \
		"$PREFIX/lib/systemd/system/berth-containerd.socket"
	grep -qx "ExecStart=$PREFIX/sbin/berth-containerd --foreground" \
		"$PREFIX/lib/systemd/system/berth-containerd.service"
	[ -x "$PREFIX/libexec/berth-shim" ] && [ -x "$PREFIX/libexec/berth-init" ]

	OWN_DEFAULTS=1
	installed system start
	for d in imaged netd containerd; do [ -S "$BERTH_RUN/$d.sock" ]; done
	python3 "$SRC/tests/fixtures/make-images.py" "$BERTH_TMP/images" >/dev/null
	installed load -i "$BERTH_TMP/images/busybox.tar"
	run installed run --name quick berth-test/busybox sh -c 'echo hello from $(hostname)'
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == "hello from "* ]]
	run installed logs quick
	[[ "$output" == "hello from "* ]]
	# the default seccomp profile really applies (the bug was: not found)
	run installed run --rm berth-test/busybox cat /proc/self/status
	grep -qx 'Seccomp:[[:space:]]*2' <<<"$output"
	installed rm quick
	run installed ps -a -q
	[ -z "$output" ]
	installed system stop
	[ ! -S "$BERTH_RUN/containerd.sock" ]
}
