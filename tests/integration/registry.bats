#!/usr/bin/env bats
# Pulling from a registry: Debian's docker-registry on 127.0.0.1, images put
# there by skopeo. Nothing leaves this machine.

load helpers

bats_require_minimum_version 1.5.0

setup() {
	berth_setup
	command -v docker-registry >/dev/null || skip "docker-registry is not installed"
	# certs.d and registries.json of this test (read by the image worker)
	export BERTH_CONF_DIR="$BERTH_TMP/conf"
	mkdir -p "$BERTH_CONF_DIR"
	python3 "$SRC/tests/fixtures/make-images.py" "$BERTH_TMP/images" "$BERTH_TMP/canary" >/dev/null
	start_registry
	"$BERTH" system start >/dev/null
}

teardown() {
	engine_teardown
}

@test "pull: layers verified and stored, the image runs; a second pull reuses them" {
	run "$BERTH" pull "$REG/test/busybox:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Pulling fs layer"*"Download complete"* ]]
	[[ "$output" == *"Digest: sha256:"* ]]
	[[ "$output" == *"Status: Downloaded image for $REG/test/busybox:1"* ]]
	[ "$("$BERTH" run --rm "$REG/test/busybox:1" echo pulled)" = pulled ]
	run "$BERTH" pull "$REG/test/busybox:1"
	[[ "$output" == *"Already exists"* ]]
	[[ "$output" != *"Pulling fs layer"* ]]
	# by digest too
	digest=$(skopeo inspect --tls-verify=false "docker://$REG/test/busybox:1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')
	run "$BERTH" pull "$REG/test/busybox@$digest"
	[ "$status" -eq 0 ]
	# the same image id under two manifests (pulled, and loaded from the archive):
	# a container still knows exactly which one it runs
	"$BERTH" load -q -i "$BERTH_TMP/images/busybox.tar" >/dev/null
	"$BERTH" run -d --name twin "$REG/test/busybox:1" sh -c 'touch /made; sleep 100' >/dev/null
	for i in $(seq 50); do "$BERTH" exec twin test -f /made 2>/dev/null && break; sleep 0.1; done
	run -0 "$BERTH" diff twin
	[[ "$output" == *"A /made"* ]]
	run -0 "$BERTH" commit twin twin:1
}

@test "run pulls a missing image with its progress" {
	run "$BERTH" run --rm "$REG/test/busybox:1" echo hello
	[ "$status" -eq 0 ]
	[[ "$output" == *"Unable to find image '$REG/test/busybox:1' locally"* ]]
	[[ "$output" == *"Download complete"* ]]
	[[ "$output" == *hello ]]
	# present now: no pull; --pull always asks the registry again
	run "$BERTH" run --rm "$REG/test/busybox:1" echo again
	[ "$output" = again ]
	run "$BERTH" run --rm --pull always "$REG/test/busybox:1" echo again
	[ "$status" -eq 0 ]
	[[ "$output" == *"Pulling from test/busybox"* ]]
	[[ "$output" == *"Already exists"* ]]
	[[ "$output" != *"Unable to find image"* ]]
	[[ "$output" == *again ]]
}

@test "bad pulls: an unknown tag or digest, a registry that is not there; the store as it was" {
	blobs() { ls "$BERTH_ROOT/image/blobs/sha256" 2>/dev/null | sort; }
	before=$(blobs)
	run "$BERTH" pull "$REG/test/busybox:nope"
	[ "$status" -eq 1 ]
	[[ "$output" == *"manifest test/busybox:nope: not found in the registry (HTTP 404)"* ]]
	run "$BERTH" pull "$REG/test/busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not found"* ]]
	run "$BERTH" pull 127.0.0.1:9/test/busybox:1
	[ "$status" -eq 1 ]
	[[ "$output" == *"registry http://127.0.0.1:9: "* ]]
	run "$BERTH" pull 'Bad Name'
	[ "$status" -eq 1 ]
	[ "$(blobs)" = "$before" ]
	[ -z "$("$BERTH" images -q)" ]
}

@test "the Bearer token flow: the token is fetched for the repository and used for every request" {
	serve_on_free_port tokenproxy - python3 "$SRC/tests/fixtures/tokenproxy.py" @PORT@ "$REG"
	local treg=$SERVED_ADDR
	run "$BERTH" pull "$treg/test/busybox:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Download complete"* ]]
	[ "$(cat "$BERTH_TMP/tokenproxy.out")" = "repository:test/busybox:pull" ]
	[ "$("$BERTH" run --rm "$treg/test/busybox:1" echo via-token)" = via-token ]
	# the token is kept until it expires: a second pull asks for none
	run -0 "$BERTH" pull "$treg/test/busybox:1"
	[ "$(wc -l <"$BERTH_TMP/tokenproxy.out")" -eq 1 ]
	[ "$(stat -c %a "$BERTH_ROOT/image/tokens.json")" = 600 ]
}

@test "login: credentials checked, kept in a 0600 config, sent with pulls; logout forgets them" {
	export BERTH_CONFIG="$BERTH_TMP/home/config.json"
	start_auth_registry
	run "$BERTH" pull "$AREG/test/busybox:1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"wants credentials (HTTP 401): berth login $AREG"* ]]
	run bash -c "echo wrong | '$BERTH' login -u tester --password-stdin $AREG"
	[ "$status" -eq 1 ]
	[[ "$output" == *"refused the credentials"* ]]
	[ ! -e "$BERTH_CONFIG" ]
	run bash -c "echo s3cret | '$BERTH' login -u tester --password-stdin $AREG"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Login Succeeded"* ]]
	[ "$(stat -c %a "$BERTH_CONFIG")" = 600 ]
	[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["auths"][sys.argv[2]]["auth"])' "$BERTH_CONFIG" "$AREG")" = "$(printf tester:s3cret | base64)" ]
	# the password is in no daemon log
	! grep -r s3cret "$BERTH_ROOT/log" "$BERTH_TMP/aregistry.log"
	run "$BERTH" pull "$AREG/test/busybox:1"
	[ "$status" -eq 0 ]
	"$BERTH" rmi "$AREG/test/busybox:1" >/dev/null
	"$BERTH" logout "$AREG"
	run "$BERTH" pull "$AREG/test/busybox:1"
	[ "$status" -eq 1 ]
}

@test "push: skopeo reads what berth pushed, a second push skips the blobs, berth pulls it back" {
	"$BERTH" load -q -i "$BERTH_TMP/images/multi-docker.tar" >/dev/null
	"$BERTH" tag berth-test/multi:1 "$REG/pushed/multi:1"
	run "$BERTH" push "$REG/pushed/multi:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"The push refers to repository [$REG/pushed/multi]"* ]]
	[[ "$output" == *"Pushed"* ]]
	[[ "$output" == *"1: digest: sha256:"* ]]
	skopeo copy -q --src-tls-verify=false "docker://$REG/pushed/multi:1" "oci:$BERTH_TMP/oci:x"
	[ -f "$BERTH_TMP/oci/index.json" ]
	if command -v podman >/dev/null; then
		run -0 pod pull -q --tls-verify=false "$REG/pushed/multi:1"
		run -0 pod image inspect --format '{{len .RootFS.Layers}}' "$REG/pushed/multi:1"
		[ "$output" -ge 2 ]
		pod rmi -a -f >/dev/null 2>&1 || true
	fi
	run "$BERTH" push "$REG/pushed/multi:1"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Layer already exists"* ]]
	[[ "$output" != *"Pushing"* ]]
	"$BERTH" rmi "$REG/pushed/multi:1" berth-test/multi:1 >/dev/null
	[ "$("$BERTH" run --rm "$REG/pushed/multi:1" echo round-trip 2>/dev/null | tail -1)" = round-trip ]
	run "$BERTH" push "$REG/not/here:1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"no such image"* ]]
}

# a misbehaving front (tests/fixtures/badregistry.py MODE) on its own port
bad_front() {
	serve_on_free_port "bad-$1" - python3 "$SRC/tests/fixtures/badregistry.py" @PORT@ "$REG" "$1"
	BREG=$SERVED_ADDR
}

# nothing half made: no image, no temporary blob or snapshot
store_clean() {
	[ -z "$("$BERTH" images -aq)" ]
	[ -z "$(ls "$BERTH_ROOT/image/tmp" 2>/dev/null)" ]
	! ls "$BERTH_ROOT/image/snapshots" 2>/dev/null | grep -q '^tmp-'
	! ls "$BERTH_ROOT/image/blobs/sha256" 2>/dev/null | grep -q '\.tmp'
}

@test "bad content: a tampered blob, a pinned digest that does not match, wrong diff_ids, an oversized manifest" {
	bad_front tamper
	run -1 "$BERTH" pull "$BREG/test/busybox:1"
	[[ "$output" == *"digest mismatch"* ]]
	store_clean
	bad_front pinned
	digest=$(skopeo inspect --tls-verify=false "docker://$REG/test/busybox:1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')
	run -1 "$BERTH" pull "$BREG/test/busybox@$digest"
	[[ "$output" == *"not the $digest asked for"* ]]
	store_clean
	bad_front diffids
	run -1 "$BERTH" pull "$BREG/test/busybox:1"
	[[ "$output" == *"but the image config says diff_id sha256:0000000000000000000000000000000000000000000000000000000000000000"* ]]
	store_clean
	bad_front bigmanifest
	run -1 "$BERTH" pull "$BREG/test/busybox:1"
	[[ "$output" == *"manifest test/busybox:1 is over the 4 MiB limit"* ]]
	store_clean
	# the real registry still serves the real thing
	run -0 "$BERTH" pull "$REG/test/busybox:1"
}

@test "a registry that stops mid-blob: a clear error, no half image; the next pull completes" {
	bad_front truncate
	run -1 "$BERTH" pull "$BREG/test/busybox:1"
	[[ "$output" == *"the registry stopped sending before the end"* ]]
	store_clean
	run -0 "$BERTH" pull "$REG/test/busybox:1"
	[ "$("$BERTH" run --rm "$REG/test/busybox:1" echo complete)" = complete ]
}

@test "blobs redirected to another host are followed without sending the credentials there" {
	export BERTH_CONFIG="$BERTH_TMP/home/config.json"
	bad_front redirect
	run -1 "$BERTH" pull "$BREG/test/busybox:1"
	[[ "$output" == *"wants credentials (HTTP 401)"* ]]
	run -0 bash -c "echo s3cret | '$BERTH' login -u tester --password-stdin $BREG"
	run -0 "$BERTH" pull "$BREG/test/busybox:1"
	[[ "$output" == *"Download complete"* ]]
	# the other host saw every blob request, and none carried credentials
	! grep -q LEAK "$BERTH_TMP/bad-redirect.out"
	[ "$("$BERTH" run --rm "$BREG/test/busybox:1" echo redirected)" = redirected ]
}

@test "a multi-platform index: this host's image by default, --platform picks another, -a pulls every tag" {
	skopeo copy -q --all --dest-tls-verify=false "oci-archive:$BERTH_TMP/images/multiarch-oci.tar:multiarch" \
		"docker://$REG/test/multiarch:1"
	skopeo copy -q --dest-tls-verify=false "docker-archive:$BERTH_TMP/images/busybox.tar" "docker://$REG/test/multiarch:2"
	run -0 "$BERTH" pull "$REG/test/multiarch:1"
	[ "$("$BERTH" run --rm "$REG/test/multiarch:1")" = amd64 ]
	run -0 "$BERTH" pull --platform linux/arm64 "$REG/test/multiarch:1"
	[ "$("$BERTH" image inspect "$REG/test/multiarch:1" | python3 -c 'import json,sys; d=json.load(sys.stdin); d=d[0] if isinstance(d,list) else d; print(d["Architecture"])')" = arm64 ]
	run -1 "$BERTH" pull --platform linux/s390x "$REG/test/multiarch:1"
	[[ "$output" == *"no manifest for linux/s390x in the index"* ]]
	run -1 "$BERTH" pull --platform bogus "$REG/test/multiarch:1"
	[[ "$output" == *"expected OS/ARCH[/VARIANT]"* ]]
	run -1 "$BERTH" pull --platform linux/arm64 "$REG/test/multiarch:2"
	[[ "$output" == *"the image is linux/amd64, not the linux/arm64 asked for"* ]]
	"$BERTH" rmi -f "$REG/test/multiarch:1" >/dev/null
	run -0 "$BERTH" pull -a "$REG/test/multiarch"
	[[ "$output" == *"Status: Downloaded image for $REG/test/multiarch:1"* ]]
	[[ "$output" == *"Status: Downloaded image for $REG/test/multiarch:2"* ]]
	run -125 "$BERTH" pull -a "$REG/test/multiarch:2"
}

# a CA, a server certificate for 127.0.0.1 and a client certificate, made here
make_certs() {
	local d=$1
	mkdir -p "$d"
	(
		cd "$d"
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=berth-test-ca
		openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1
		printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
		openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile san.ext
		openssl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj /CN=berth-client
		openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.cert -days 2
		openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.crt -days 2 -subj /CN=other-ca
	) >/dev/null 2>&1
}

@test "TLS per registry from certs.d: its CA, a client certificate; a wrong CA is a clear error" {
	command -v openssl >/dev/null || skip "openssl is not installed"
	make_certs "$BERTH_TMP/pki"
	mkdir -p "$BERTH_TMP/tregistry"
	cat >"$BERTH_TMP/tregistry.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $BERTH_TMP/tregistry
http:
  addr: @ADDR@
  tls:
    certificate: $BERTH_TMP/pki/server.crt
    key: $BERTH_TMP/pki/server.key
    clientcas:
      - $BERTH_TMP/pki/ca.crt
YML
	serve_on_free_port tregistry "$BERTH_TMP/tregistry.yml" docker-registry serve "$BERTH_TMP/tregistry.conf"
	TREG=$SERVED_ADDR
	mkdir -p "$BERTH_TMP/skopeo-certs"
	cp "$BERTH_TMP/pki/ca.crt" "$BERTH_TMP/pki/client.cert" "$BERTH_TMP/pki/client.key" "$BERTH_TMP/skopeo-certs/"
	skopeo copy -q --dest-cert-dir "$BERTH_TMP/skopeo-certs" "docker-archive:$BERTH_TMP/images/busybox.tar" "docker://$TREG/test/busybox:tls"
	local certs="$BERTH_CONF_DIR/certs.d/$TREG"
	# no certs.d: a loopback registry is spoken to in plain HTTP, which this one refuses
	run -1 "$BERTH" pull "$TREG/test/busybox:tls"
	[[ "$output" == *"it may speak TLS only"* ]]
	mkdir -p "$certs"
	cp "$BERTH_TMP/pki/other.crt" "$certs/ca.crt"
	run -1 "$BERTH" pull "$TREG/test/busybox:tls"
	[[ "$output" == *"its certificate is not trusted"* ]]
	cp "$BERTH_TMP/pki/ca.crt" "$certs/ca.crt"
	# the right CA, but the registry wants a client certificate
	run -1 "$BERTH" pull "$TREG/test/busybox:tls"
	[[ "$output" == *"does the registry want a client certificate?"* ]]
	cp "$BERTH_TMP/pki/client.cert" "$BERTH_TMP/pki/client.key" "$certs/"
	run -0 "$BERTH" pull "$TREG/test/busybox:tls"
	[ "$("$BERTH" run --rm "$TREG/test/busybox:tls" echo over-tls)" = over-tls ]
	"$BERTH" tag "$TREG/test/busybox:tls" "$TREG/test/pushed:tls"
	run -0 "$BERTH" push "$TREG/test/pushed:tls"
	run -0 skopeo inspect --cert-dir "$BERTH_TMP/skopeo-certs" "docker://$TREG/test/pushed:tls"
}

@test "docker.io names come from a configured mirror" {
	skopeo copy -q --dest-tls-verify=false "docker-archive:$BERTH_TMP/images/busybox.tar" \
		"docker://$REG/library/mirrored:1"
	printf '{"registry-mirrors": ["http://%s"]}\n' "$REG" >"$BERTH_CONF_DIR/registries.json"
	run -0 "$BERTH" pull mirrored:1
	[[ "$output" == *"from the mirror http://$REG"* ]]
	[ "$("$BERTH" run --rm mirrored:1 echo mirrored)" = mirrored ]
	[ "$("$BERTH" images --format json | python3 -c 'import json,sys; print([t for i in json.load(sys.stdin) for t in i.get("RepoTags", [])])')" = "['docker.io/library/mirrored:1']" ] ||
		"$BERTH" images | grep -q mirrored
}

@test "kill -9 of imaged in the middle of a pull: no half image after restart; the next pull reuses the finished layer" {
	skopeo copy -q --dest-tls-verify=false "docker-archive:$BERTH_TMP/images/multi-docker.tar" "docker://$REG/test/multi:1"
	bad_front slow
	"$BERTH" pull "$BREG/test/multi:1" >"$BERTH_TMP/pull.out" 2>&1 &
	local pull=$!
	track_pid $pull
	# the small layer (and the config) are done while the big one trickles
	for i in $(seq 100); do
		[ "$(grep -c 'Extracted' "$BERTH_TMP/pull.out")" -ge 1 ] && break
		sleep 0.1
	done
	grep -q Extracted "$BERTH_TMP/pull.out"
	kill -9 "$(daemon_pid imaged)"
	! wait $pull
	"$BERTH" system start >/dev/null
	store_clean
	run -0 "$BERTH" pull "$REG/test/multi:1"
	# the layer finished before the kill was kept (verified); the other one comes now
	[[ "$output" == *"Already exists"* ]]
	[[ "$output" == *"Download complete"* ]]
	[ "$("$BERTH" run --rm "$REG/test/multi:1" cat /added)" = "added by layer 2" ]
}

@test "push in chunks when a blob is over the chunk size; blobs another repository has are mounted" {
	"$BERTH" load -q -i "$BERTH_TMP/images/busybox.tar" >/dev/null
	printf '{"push-chunk-size": 262144}\n' >"$BERTH_CONF_DIR/registries.json"
	"$BERTH" tag berth-test/busybox "$REG/chunked/bb:1"
	run -0 "$BERTH" push "$REG/chunked/bb:1"
	[ "$(echo "$output" | grep -c 'Pushing [0-9.]*MB/')" -ge 5 ]
	run -0 skopeo copy -q --src-tls-verify=false "docker://$REG/chunked/bb:1" "dir:$BERTH_TMP/chunked"
	"$BERTH" tag berth-test/busybox "$REG/mounted/bb:2"
	run -0 "$BERTH" push "$REG/mounted/bb:2"
	[[ "$output" == *"Mounted from chunked/bb"* ]]
	[[ "$output" != *"Pushing"* ]]
	run -0 skopeo inspect --tls-verify=false "docker://$REG/mounted/bb:2"
}
