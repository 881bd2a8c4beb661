# berth-runtime tests: a bundle and a state root per test, and small helpers.

RT="$BUILD/berth-runtime"
EDIT="$SRC/tests/fixtures/spec-edit.py"

setup() {
	berth_setup
	STATE="$BERTH_TMP/state"
	B="$BERTH_TMP/bundle"
	ID="it$$-$BATS_TEST_NUMBER"
	"$SRC/tests/fixtures/make-bundle.sh" "$B" true
}

teardown() {
	if [ -d "${STATE:-/nonexistent}" ]; then
		for c in $(ls "$STATE"); do "$RT" --root "$STATE" delete --force "$c" || true; done
	fi
	berth_teardown
}

rt() { "$RT" --root "$STATE" "$@"; }
# one field of `berth-runtime state`
st() { "$RT" --root "$STATE" state "$1" | python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print(str(v).lower() if isinstance(v, bool) else v)' "$2"; }
edit() { python3 "$EDIT" "$B" "$@"; }
args() { python3 "$EDIT" "$B" "c['process']['args'] = $1"; }

# nothing of container $1 is left: state, cgroups, mounts
assert_clean() {
	[ ! -e "$STATE/$1" ]
	! ls -d /sys/fs/cgroup/*/berth/"$1" /sys/fs/cgroup/berth/"$1" 2>/dev/null
	! grep -q "$B" /proc/mounts
}
