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
