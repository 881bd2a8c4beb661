#!/usr/bin/env bats
# berth-netd: bridge networks, addresses, published ports, isolation, cleanup.
# Traffic stays on this machine: loopback, the host's own address, and the
# test's own containers on the test's own bridges.

load helpers

bats_require_minimum_version 1.5.0

setup() {
	berth_setup
	python3 "$SRC/tests/fixtures/make-images.py" "$BERTH_TMP/images" "$BERTH_TMP/canary" >/dev/null
	"$BERTH" system start >/dev/null
	"$BERTH" load -q -i "$BERTH_TMP/images/busybox.tar" >/dev/null
	IMG=berth-test/busybox
	BB=/bin/busybox
}

teardown() {
	if [ -S "$BERTH_RUN/containerd.sock" ]; then
		"$BERTH" rm -f $("$BERTH" ps -aq 2>/dev/null) >/dev/null 2>&1 || true
	fi
	if [ -n "${VETH:-}" ]; then
		ip link del "${VETH}a" 2>/dev/null || true
	fi
	if [ -n "${OCCUPIER:-}" ]; then
		ip link del "$OCCUPIER" 2>/dev/null || true
	fi
	# the stand-in for an outside host (its veth goes with it)
	if [ -n "${OUTSIDE_NS:-}" ]; then
		ip link del "${OUTSIDE_NS}h" 2>/dev/null || true
		ip netns del "$OUTSIDE_NS" 2>/dev/null || true
	fi
	berth_teardown
}

b() { "$BERTH" "$@"; }
ip_of() {
	b inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["NetworkSettings"]["IPAddress"])'
}
# a tiny server in a container: answers each TCP connection on port 80 with its name
serve() {
	b run -d --name "$1" "${@:2}" "$IMG" sh -c "while true; do echo hello-from-$1 | busybox nc -l -p 80; done" >/dev/null
}
# connect from the host, with a timeout; again while the server is not listening yet (its
# nc loop restarts between connections, and a container can be slow to start under load)
fetch() {
	local out i
	for i in $(seq 30); do
		out=$(timeout 3 "$BB" nc "$1" "$2" </dev/null 2>/dev/null) && [ -n "$out" ] && {
			echo "$out"
			return 0
		}
		sleep 0.1
	done
	return 1
}

@test "the default bridge: an address from its subnet, a route out, hosts and resolv.conf" {
	run b run --rm "$IMG" sh -c 'busybox ip -4 addr show eth0; busybox ip route; busybox tail -1 /etc/hosts; hostname'
	[ "$status" -eq 0 ]
	net=${BERTH_SUBNET%.0/24}
	[[ "$output" == *"inet $net."*"/24"* ]]
	[[ "$output" == *"default via $net.1 dev eth0"* ]]
	host=$(echo "$output" | tail -1)
	[[ "$output" == *"$net."*"	$host"* ]]
	ip link show "$BERTH_BRIDGE" | grep -q UP
	nft list table inet "$BERTH_NFT_TABLE" | grep -q "ip saddr $BERTH_SUBNET oifname != \"$BERTH_BRIDGE\" masquerade"
}

@test "host to container, container to container, published ports from 127.0.0.1 and the host's address, UDP" {
	serve web -p 18080:80 -p 18081:81/udp
	cc -static -O2 -o "$BERTH_TMP/udprecv" "$SRC/tests/fixtures/udprecv.c"
	b run -d --name udp -p 18082:82/udp -v "$BERTH_TMP/udprecv:/udprecv:ro" "$IMG" \
		sh -c '/udprecv 82 >/tmp/got; sleep 100' >/dev/null
	sleep 0.5
	[ "$(fetch "$(ip_of web)" 80)" = hello-from-web ]
	[ "$(b run --rm "$IMG" busybox nc -w 2 "$(ip_of web)" 80 </dev/null)" = hello-from-web ]
	[ "$(fetch 127.0.0.1 18080)" = hello-from-web ]
	hostip=$(ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | grep -v "^${BERTH_SUBNET%.0/24}" | head -1)
	[ "$(fetch "$hostip" 18080)" = hello-from-web ]
	python3 -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"ping-over-udp", ("127.0.0.1", 18082))'
	sleep 0.3
	[ "$(b exec udp cat /tmp/got)" = ping-over-udp ]
	[ "$(b port web 80)" = "0.0.0.0:18080" ]
	[[ "$(b ps)" == *"0.0.0.0:18080->80/tcp"* ]]
	# a random host port when none is given
	serve rnd -p 80
	hp=$(b port rnd 80 | cut -d: -f2)
	[ "$hp" -gt 0 ]
	sleep 0.3
	[ "$(fetch 127.0.0.1 "$hp")" = hello-from-rnd ]
}

# connect from the host: "local-address peer-address:port first-line", the peer as getpeername says
conn() {
	local out i
	for i in $(seq 30); do
		out=$(python3 - "$1" "$2" 2>/dev/null <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), 3)
line = s.makefile().readline().strip()
print(s.getsockname()[0], "%s:%d" % s.getpeername(), line)
PY
		) && [ "${out##* }" != "" ] && [ "${out% *}" != "$out" ] && {
			echo "$out"
			return 0
		}
		sleep 0.1
	done
	return 1
}

@test "the host's own connections to published ports are turned at connect(), not NATed" {
	hook=$(b info --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["daemons"]["netd"].get("connect_hook", ""))')
	[ -n "$hook" ] # this host has a cgroup2 hierarchy: the hook must be on
	gw=${BERTH_SUBNET%.0/24}.1
	serve web -p 18060:80
	serve lo1 -p 127.0.0.1:18061:80
	# straight to the container from the gateway's address; the application still sees 127.0.0.1
	[ "$(conn 127.0.0.1 18060)" = "$gw 127.0.0.1:18060 hello-from-web" ]
	[ "$(conn 127.0.0.2 18060)" = "$gw 127.0.0.2:18060 hello-from-web" ]
	[ "$(conn 127.0.0.1 18061)" = "$gw 127.0.0.1:18061 hello-from-lo1" ]
	# the host's other addresses too, and one added while netd runs
	hostip=$(ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | grep -v "^${BERTH_SUBNET%.0/24}" | head -1)
	[ "$(conn "$hostip" 18060)" = "$gw $hostip:18060 hello-from-web" ]
	[ "$(conn "$gw" 18060)" = "$gw $gw:18060 hello-from-web" ]
	VETH=bvt$$
	ip link add "${VETH}a" type veth peer name "${VETH}b"
	ip link set "${VETH}a" up
	ip addr add 198.18.251.1/32 dev "${VETH}a"
	[ "$(conn 198.18.251.1 18060)" = "$gw 198.18.251.1:18060 hello-from-web" ]
	ip link del "${VETH}a"
	# published on 127.0.0.1 only: not on another loopback address, nor the host's address
	run ! python3 -c 'import socket; socket.create_connection(("127.0.0.2", 18061), 2)'
	run ! python3 -c 'import socket, sys; socket.create_connection((sys.argv[1], 18061), 2)' "$hostip"
	# a container's own 127.0.0.1 is its own, published port or not
	run b run --rm "$IMG" sh -c '(echo own-listener | busybox nc -l -p 18060 &); sleep 0.3; busybox nc 127.0.0.1 18060 </dev/null'
	[ "$output" = own-listener ]
	# host networking shares the host's loopback: it reaches the published port
	[ "$(b run --rm --network host "$IMG" busybox nc 127.0.0.1 18060 </dev/null)" = hello-from-web ]
	# netd gone: the hook goes with it and the DNAT rules carry the port; back: the hook again
	pid=$(daemon_pid netd)
	kill -9 "$pid"
	# its files (the links among them) are closed once it is a zombie or gone
	for i in $(seq 100); do
		[ -e "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null || break
		sleep 0.05
	done
	[ "$(conn 127.0.0.1 18060)" = "127.0.0.1 127.0.0.1:18060 hello-from-web" ]
	b system start >/dev/null
	[ "$(conn 127.0.0.1 18060)" = "$gw 127.0.0.1:18060 hello-from-web" ]
	# removed: a container that gets its address next is not reached through the old port
	ip=$(ip_of web)
	b rm -f web >/dev/null
	serve next
	[ "$(ip_of next)" = "$ip" ]
	run ! python3 -c 'import socket; socket.create_connection(("127.0.0.1", 18060), 2)'
	[ "$(fetch "$ip" 80)" = hello-from-next ]
}

@test "user networks: isolated from each other, internal ones have no way out" {
	b network create --subnet 10.251.$((RANDOM % 250)).0/24 --label team=a neta >/dev/null
	b network create --internal netb >/dev/null
	[[ "$(b network ls)" == *neta*netb* || "$(b network ls)" == *netb*neta* ]]
	serve a1 --network neta
	serve b1 --network netb
	sleep 0.5
	[ "$(b run --rm --network neta "$IMG" busybox nc -w 2 "$(ip_of a1)" 80 </dev/null)" = hello-from-a1 ]
	run b run --rm --network neta "$IMG" busybox nc -w 2 "$(ip_of b1)" 80
	[ "$status" -ne 0 ]
	run b run --rm --network netb "$IMG" busybox ip route
	[[ "$output" != *default* ]]
	[ "$(b network inspect neta | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Labels"]["team"])')" = a ]
	run b network rm neta
	[ "$status" -eq 1 ]
	[[ "$output" == *"network neta has active endpoints"* ]]
	b rm -f a1 >/dev/null
	b network rm neta
	[ -z "$(b network ls -q | grep -c neta | grep -v 0)" ]
}

@test "--ip and --mac-address on a user network; the default MAC is 02:42 and the address; bad ones refused" {
	net=10.252.$((RANDOM % 250))
	b network create --subnet "$net.0/24" ipnet >/dev/null
	b run -d --name fixed --network ipnet --ip "$net.77" --mac-address 02:11:22:33:44:55 "$IMG" sleep 1000 >/dev/null
	run -0 b exec fixed sh -c 'busybox ip -4 -o addr show eth0; cat /sys/class/net/eth0/address'
	[[ "$output" == *"inet $net.77/24"* ]]
	[[ "$output" == *"02:11:22:33:44:55"* ]]
	[ "$(b inspect -f '{{.NetworkSettings.Networks.ipnet.MacAddress}}' fixed)" = 02:11:22:33:44:55 ]
	# without one: Docker's 02:42 followed by the IPv4 address
	ip=$(b run --rm --network ipnet "$IMG" sh -c 'busybox ip -4 -o addr show eth0 | busybox awk "{print \$4}" | busybox cut -d/ -f1; cat /sys/class/net/eth0/address')
	want=$(echo "$ip" | head -1 | awk -F. '{printf "02:42:%02x:%02x:%02x:%02x", $1, $2, $3, $4}')
	[ "$(echo "$ip" | tail -1)" = "$want" ]
	sentinel=$(b ps -q | wc -l)
	for bad in "--network ipnet --ip $net.77|address $net.77 is already in use on network ipnet" \
		"--network ipnet --ip 10.9.9.9|address 10.9.9.9 is not one network ipnet can give" \
		"--network ipnet --ip $net.1|address $net.1 is not one network ipnet can give" \
		"--ip $net.20|a user specified IP address is supported on user defined networks only" \
		"--network ipnet --ip nope|invalid --ip 'nope'" \
		"--mac-address 01:00:00:00:00:01|invalid --mac-address '01:00:00:00:00:01'" \
		"--network none --mac-address 02:00:00:00:00:01|--mac-address needs a network of the container's own"; do
		refused 125 "${bad#*|}" b run --rm ${bad%%|*} "$IMG" true
	done
	[ "$(b ps -q | wc -l)" -eq "$sentinel" ]
	[ "$(b exec fixed cat /sys/class/net/eth0/address)" = 02:11:22:33:44:55 ]
	# connect --ip: the address on the second network, kept across a restart
	net2=10.252.$(((${net##*.} + 1) % 250))
	b network create --subnet "$net2.0/24" ipnet2 >/dev/null
	run -1 b network connect --ip 10.9.9.9 ipnet2 fixed
	[[ "$output" == *"address 10.9.9.9 is not one network ipnet2 can give"* ]]
	run -1 b network connect --ip "$net2.33" bridge fixed
	[[ "$output" == *"supported on user defined networks only"* ]]
	b network connect --ip "$net2.33" --alias extra ipnet2 fixed
	[[ "$(b exec fixed busybox ip -4 -o addr show eth1)" == *"inet $net2.33/24"* ]]
	b restart -t 1 fixed >/dev/null
	[[ "$(b exec fixed busybox ip -4 -o addr show eth1)" == *"inet $net2.33/24"* ]]
	[[ "$(b exec fixed busybox ip -4 -o addr show eth0)" == *"inet $net.77/24"* ]]
}

@test "bad input: subnets, gateways, names, ports; nothing is left half made" {
	b network create --subnet 10.252.$((RANDOM % 250)).0/24 taken >/dev/null
	sub=$(b network inspect taken | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["IPAM"]["Config"][0]["Subnet"])')
	run b network create --subnet "$sub" again
	[ "$status" -eq 1 ]
	[[ "$output" == *"overlaps network taken"* ]]
	run b network create --subnet 10.0.0.1/8 x1
	[[ "$output" == *"host bits set"* ]]
	run b network create --subnet 300.1.0.0/16 x2
	[[ "$output" == *"invalid subnet"* ]]
	run b network create --subnet 10.253.1.0/24 --gateway 10.253.2.1 x3
	[[ "$output" == *"invalid gateway 10.253.2.1"* ]]
	run b network create taken
	[[ "$output" == *"already exists"* ]]
	run b network rm bridge
	[[ "$output" == *"default network and cannot be removed"* ]]
	for spec in 0:80 80:0 abc 80-81:90 1.2.3:80:80 80/sctp; do
		run b run --rm -p "$spec" "$IMG" true
		[ "$status" -eq 125 ]
		[[ "$output" == *"invalid -p '$spec'"* ]]
	done
	run b run --rm --network nosuchnet "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"no such network: nosuchnet"* ]]
	run b run --rm --network none -p 80 "$IMG" true
	[[ "$output" == *"need a bridge network"* ]]
	# a port another container publishes, then one a host process holds
	serve first -p 18090:80
	run b run --name second -p 18090:80 "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"port 18090/tcp is already published by container"* ]]
	python3 -c 'import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("0.0.0.0", 18091)); s.listen(); time.sleep(30)' &
	track_pid $!
	# listening for sure before berth looks (python starts slowly on a busy machine)
	for i in $(seq 100); do
		python3 -c 'import socket; socket.create_connection(("127.0.0.1", 18091), 0.2)' 2>/dev/null && break
		sleep 0.1
	done
	run b run --name third -p 18091:80 "$IMG" true
	[ "$status" -eq 125 ]
	[[ "$output" == *"port 18091/tcp is already in use on this host"* ]]
	# the failed starts left no endpoint, no veth and no rule behind
	[ "$(b network inspect bridge | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[0]["Containers"]))')" -eq 1 ]
	! nft list table inet "$BERTH_NFT_TABLE" | grep -q 18091
	[ "$(fetch 127.0.0.1 18090)" = hello-from-first ]
}

@test "cleanup: rm leaves no veth, lease or rule; netd killed and restarted keeps containers connected" {
	serve web -p 18070:80
	sleep 0.3
	ip=$(ip_of web)
	veth=$(b network inspect bridge | python3 -c 'import json,sys; c=json.load(sys.stdin)[0]["Containers"]; print(list(c.values())[0]["HostVeth"])')
	ip link show "$veth" >/dev/null
	kill -9 "$(daemon_pid netd)"
	[ "$(fetch "$ip" 80)" = hello-from-web ]
	b system start >/dev/null
	[ "$(fetch 127.0.0.1 18070)" = hello-from-web ]
	[ "$(ip_of web)" = "$ip" ]
	# a container started now gets another address
	serve other
	[ "$(ip_of other)" != "$ip" ]
	b rm -f web other >/dev/null
	! ip link show "$veth" 2>/dev/null
	! nft list table inet "$BERTH_NFT_TABLE" | grep -q 18070
	[ "$(b network inspect bridge | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[0]["Containers"]))')" -eq 0 ]
	# removed while netd was down: its lease is released at netd's start
	serve late
	veth=$(b network inspect bridge | python3 -c 'import json,sys; c=json.load(sys.stdin)[0]["Containers"]; print(list(c.values())[0]["HostVeth"])')
	kill -9 "$(daemon_pid netd)"
	b rm -f late >/dev/null 2>&1 || true
	b system start >/dev/null
	for i in $(seq 50); do
		[ "$(b network inspect bridge | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[0]["Containers"]))')" -eq 0 ] && break
		sleep 0.2
	done
	[ "$(b network inspect bridge | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[0]["Containers"]))')" -eq 0 ]
	! ip link show "$veth" 2>/dev/null
}

@test "DNS on user networks: names and short ids of its own containers, PTR, the rest forwarded" {
	# a resolver standing in for the host's, on 127.0.0.1
	port=$(free_port)
	python3 "$SRC/tests/fixtures/fakedns.py" "$port" &
	track_pid $!
	b system stop >/dev/null
	export BERTH_DNS_UPSTREAM="127.0.0.1:$port"
	b system start >/dev/null
	b network create dnsa >/dev/null
	b network create dnsb >/dev/null
	b run -d --name alpha --network dnsa --network-alias db --network-alias primary.db "$IMG" sleep 100 >/dev/null
	b run -d --name beta --network dnsb "$IMG" sleep 100 >/dev/null
	ipa=$(ip_of alpha)
	ipb=$(ip_of beta)
	run b run --rm --network dnsa "$IMG" busybox nslookup alpha
	[[ "$output" == *"Address: $ipa"* ]]
	id=$(b inspect alpha | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"][:12])')
	run b run --rm --network dnsa "$IMG" busybox nslookup "$id"
	[[ "$output" == *"Address: $ipa"* ]]
	run b run --rm --network dnsa "$IMG" busybox nslookup primary.db
	[[ "$output" == *"Address: $ipa"* ]]
	run b run --rm --network dnsa --network-alias 'bad alias' "$IMG" true
	[ "$status" -eq 125 ]
	run b run --rm --network dnsa "$IMG" busybox nslookup "$ipa"
	[[ "$output" == *"name = alpha"* ]]
	[ "$(b run --rm --network dnsa "$IMG" busybox ping -c1 -W2 alpha | grep -c '1 packets received')" = 1 ]
	# beta lives on another network: dnsa's server does not know it (the upstream answers)
	run b run --rm --network dnsa "$IMG" busybox nslookup beta
	[[ "$output" != *"$ipb"* ]]
	[[ "$output" == *"10.9.8.7"* ]]
	run b run --rm --network dnsa "$IMG" busybox nslookup www.example.invalid
	[[ "$output" == *"10.9.8.7"* ]]
	# over TCP too, for its own names and for the rest
	gw=$(b network inspect dnsa | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["IPAM"]["Config"][0]["Gateway"])')
	[ "$(python3 "$SRC/tests/fixtures/dnsq.py" "$gw" alpha tcp)" = "$ipa" ]
	[ "$(python3 "$SRC/tests/fixtures/dnsq.py" "$gw" other.invalid tcp)" = 10.9.8.7 ]
	[ "$(python3 "$SRC/tests/fixtures/dnsq.py" "$gw" alpha)" = "$ipa" ]
	# the default bridge has no embedded DNS: the host's resolvers, as with Docker
	run b run --rm "$IMG" cat /etc/resolv.conf
	[[ "$output" != *"nameserver $(b network inspect dnsa | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["IPAM"]["Config"][0]["Gateway"])')"* ]]
}

@test "network connect and disconnect: a second interface, reachable peers, kept across restarts" {
	b network create side >/dev/null
	serve peer --network side
	b run -d --name multi "$IMG" sleep 1000 >/dev/null
	run b run --rm --network side "$IMG" true
	[ "$status" -eq 0 ]
	b network connect side multi
	run b exec multi busybox ip -4 addr show eth1
	[[ "$output" == *"inet "* ]]
	sleep 0.3
	[ "$(b exec multi busybox nc -w 2 "$(ip_of peer)" 80 </dev/null)" = hello-from-peer ]
	run b network connect side multi
	[[ "$output" == *"already connected to network side"* ]]
	run b network connect nosuch multi
	[[ "$output" == *"no such network: nosuch"* ]]
	[ "$(b inspect multi | python3 -c 'import json,sys; print(sorted(json.load(sys.stdin)[0]["NetworkSettings"]["Networks"]))')" = "['bridge', 'side']" ]
	# still there after a restart of the container
	b restart -t 0 multi >/dev/null
	run b exec multi busybox ip -4 addr show eth1
	[[ "$output" == *"inet "* ]]
	b network disconnect side multi
	run b exec multi busybox ip link show eth1
	[ "$status" -ne 0 ]
	run b network disconnect side multi
	[[ "$output" == *"is not connected to network side"* ]]
	run b network disconnect bridge multi
	[[ "$output" == *"first network"* ]]
}

@test "outbound traffic is masqueraded: a second namespace stands in for an outside host" {
	ns="bto$$"
	OUTSIDE_NS=$ns
	n=$((RANDOM % 60 * 4))
	host_ip="198.18.$((RANDOM % 200)).$((n + 1))"
	out_ip="${host_ip%.*}.$((n + 2))"
	ip netns add "$ns"
	ip link add "bto$$h" type veth peer name "bto$$o"
	ip link set "bto$$o" netns "$ns"
	ip addr add "$host_ip/30" dev "bto$$h"
	ip link set "bto$$h" up
	ip netns exec "$ns" ip addr add "$out_ip/30" dev "bto$$o"
	ip netns exec "$ns" ip link set "bto$$o" up
	ip netns exec "$ns" ip link set lo up
	# the outside host prints the address each connection comes from
	ip netns exec "$ns" python3 -c '
import socket, sys
s = socket.socket(); s.bind(("0.0.0.0", 80)); s.listen()
c, peer = s.accept(); print(peer[0], flush=True)' >"$BERTH_TMP/peer" &
	track_pid $!
	# the listener is up before the container connects (python can be slow under load)
	for i in $(seq 100); do
		ip netns exec "$ns" ss -ltn | grep -q ':80 ' && break
		sleep 0.05
	done
	b run --rm "$IMG" busybox nc -w 2 "$out_ip" 80 </dev/null || true
	sleep 0.3
	peer=$(cat "$BERTH_TMP/peer")
	# it came from the host's address on that link, not from the container's
	[ "$peer" = "$host_ip" ]
}

@test "a default subnet the host already uses: netd says so and exits 1 (it crashed on the way out)" {
	b system stop >/dev/null
	# this test's own bridge holds an address of the subnet asked for
	sub="10.$((RANDOM % 150 + 100)).$((RANDOM % 256))"
	OCCUPIER="${BERTH_BRIDGE}o"
	ip link add "$OCCUPIER" type bridge
	ip addr add "$sub.1/24" dev "$OCCUPIER"
	# a fresh root: a netd that has its default network already does not look again
	run timeout 20 env BERTH_SUBNET="$sub.0/24" "$BUILD/berth-netd" --foreground \
		--root "$BERTH_TMP/fresh" --run "$BERTH_TMP/fresh-run"
	[ "$status" -eq 1 ]
	[[ "$output" == *"BERTH_SUBNET: subnet $sub.0/24 overlaps the address of ${BERTH_BRIDGE}o on this host"* ]]
}
