#!/bin/sh
# bench/net/run.sh: throughput and connection rate to a container through a
# published port (from the host, via 127.0.0.1 and its own address, and from a
# network namespace standing in for another host), to the container's address
# directly, and with host networking (iperf3, rounds in rotating order); CPU
# time per GB; connection rate; then berth-netd's RSS idle and with 100
# containers attached. As root from a built tree; traffic stays on this host.
#
# The container runs the host's own iperf3 (the host's /usr bound read-only
# into a busybox image made on the spot).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/bench/lib.sh"
build=${BERTH_BUILDDIR:-$top}
secs=${SECS:-5}
GB=${GB:-4}
n=${CONTAINERS:-100}
need "iperf3 python3" iperf3 python3
tmp=$(mktemp -d /var/tmp/berth-bench-net.XXXXXX)
run=$(mktemp -d /run/berth-bench-net.XXXXXX)
export BERTH_ROOT=$tmp/root BERTH_RUN=$run/berth BERTH_DAEMON_DIR=$build
export BERTH_BRIDGE=bbench$$ BERTH_NFT_TABLE=berth_bench_$$
B="$build/berth"
# a namespace stands in for another host, on a veth from 198.18.0.0/15 (RFC 2544)
ons=bnout$$
o=198.18.$(($$ % 250)).
cleanup() {
	set +e
	ip link del "${ons}h" 2>/dev/null
	ip netns del "$ons" 2>/dev/null
	bench_engine_cleanup
}
trap cleanup EXIT INT TERM
python3 "$top/tests/fixtures/make-images.py" "$tmp/images" >/dev/null
$B system start >/dev/null
$B load -q -i "$tmp/images/busybox.tar" >/dev/null
libs="-v /usr:/usr:ro -v /lib:/lib:ro -v /lib64:/lib64:ro"
# shellcheck disable=SC2086
$B run -d --name srv -p 15201:5201 $libs berth-test/busybox /usr/bin/iperf3 -s >/dev/null
# shellcheck disable=SC2086
$B run -d --name srvhost --network host $libs berth-test/busybox /usr/bin/iperf3 -s -p 15202 >/dev/null
sleep 1
$B info | grep -A1 '^Published ports'
ip=$($B inspect srv | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["NetworkSettings"]["IPAddress"])')
# client and server pinned to different CPUs when there are two: where the
# scheduler puts them moves a run by more than the path under test does
pin=
[ "$(nproc)" -ge 2 ] && pin="-A 0,1"
tput() {
	# shellcheck disable=SC2086
	${3:+ip netns exec "$3"} iperf3 $pin -c "$1" -p "$2" -t "$secs" -J | python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))'
}
# connections per second, published (via 127.0.0.1) against direct: eight pairs
# of one-second runs, the order flipped each pair, the ratio taken per pair;
# one client connects and closes as fast as it can, with a reset so no
# TIME_WAIT is left to slow the next run
rate() {
	python3 - "$1" "$2" "$3" <<'PY'
import socket, statistics, struct, sys, time
ip, direct, published = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def rate(host, port):
    n, t0 = 0, time.time()
    while time.time() - t0 < 1:
        s = socket.create_connection((host, port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close(); n += 1
    return n / (time.time() - t0)
d, p = [], []
for i in range(8):
    for k in ((0, 1) if i % 2 == 0 else (1, 0)):
        if k == 0: d.append(rate(ip, direct))
        else: p.append(rate("127.0.0.1", published))
r = [a / b for a, b in zip(p, d)]
print(f"connections per second (one client, 8 pairs of 1 s): direct {statistics.median(d):.0f}, "
      f"published via 127.0.0.1 {statistics.median(p):.0f}; per pair {statistics.median(r) * 100:.0f}% "
      f"of direct (pairs {min(r) * 100:.0f}..{max(r) * 100:.0f}%)")
PY
}
# CPU seconds (every CPU, softirq included) to move GB gigabytes over one path
cpu_per_gb() {
	# shellcheck disable=SC2086
	python3 - "$1" "$2" "$GB" "$pin" <<'PY'
import subprocess, sys
def busy():
    f = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    return sum(f[:3]) + sum(f[5:7])  # user nice system, irq softirq (not steal)
host, port, gb, pin = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split()
b = busy()
subprocess.run(["iperf3", *pin, "-c", host, "-p", port, "-n", f"{gb}G"], check=True,
               stdout=subprocess.DEVNULL)
print("%.3f" % ((busy() - b) / 100 / gb))
PY
}
hostip=$(ip -4 -o addr show scope global | awk '{print $4}' | cut -d/ -f1 | grep -v "^${ip%.*}\." | head -1)
ip netns add "$ons"
ip link add "${ons}h" type veth peer name "${ons}n"
ip link set "${ons}n" netns "$ons"
ip addr add "${o}1/30" dev "${ons}h"
ip link set "${ons}h" up
ip -n "$ons" addr add "${o}2/30" dev "${ons}n"
ip -n "$ons" link set "${ons}n" up
ip -n "$ons" link set lo up
ip -n "$ons" route add default via "${o}1"
# rounds interleaved, medians reported: this kind of VM varies by 20% run to run
rounds=${ROUNDS:-7}
: >"$tmp/t"
# each round measures the paths back to back, a published one next to its
# direct one, the pairs in the order A B, then B A in the next round (this VM
# drifts by more than the paths differ); a path is compared with its direct one
# within its own round
for r in $(seq "$rounds"); do
	paths="direct local external host odirect opub"
	[ $((r % 2)) -eq 0 ] && paths="external direct local host opub odirect"
	for k in $paths; do
		case $k in
		direct) v=$(tput "$ip" 5201) ;;
		local) v=$(tput 127.0.0.1 15201) ;;
		external) v=$(tput "$hostip" 15201) ;;
		host) v=$(tput 127.0.0.1 15202) ;;
		odirect) v=$(tput "$ip" 5201 "$ons") ;;
		opub) v=$(tput "${o}1" 15201 "$ons") ;;
		esac
		echo "$r $k $v" >>"$tmp/t"
	done
done
python3 - "$tmp/t" "$hostip" "$secs" "$rounds" <<'PY'
import statistics, sys
v, by_round = {}, {}
for line in open(sys.argv[1]):
    r, k, x = line.split()
    v.setdefault(k, []).append(float(x))
    by_round.setdefault(r, {})[k] = float(x)
m = {k: statistics.median(x) for k, x in v.items()}
base = {"local": "direct", "external": "direct", "opub": "odirect"}
ratio = {k: sorted(b[k] / b[d] for b in by_round.values()) for k, d in base.items()}
print(f"iperf3 TCP, {sys.argv[3]}s x {sys.argv[4]} rounds (published next to direct, ABBA, pinned), Gbit/s:")
def row(label, k):
    rel = ""
    if k in ratio:
        q = ratio[k]
        rel = (f"  {statistics.median(q) * 100:.0f}% of {base[k]} in its round "
               f"(rounds {q[0] * 100:.0f}..{q[-1] * 100:.0f}%)")
    print(f"  {label:<34} median {m[k]:6.2f}{rel}")
    print(f"  {'':<34} runs   {' '.join('%.1f' % x for x in v[k])}")
row("container address directly", "direct")
row("published port via 127.0.0.1", "local")
row(f"published port via {sys.argv[2]}", "external")
row("host networking", "host")
row("another host: to the container's address", "odirect")
row("another host: published port", "opub")
PY
# the cost of a byte, steadier on a VM than the rate: CPU time for the same transfer
: >"$tmp/c"
for r in 1 2 3; do
	for k in direct local; do
		case $k in
		direct) v=$(cpu_per_gb "$ip" 5201) ;;
		local) v=$(cpu_per_gb 127.0.0.1 15201) ;;
		esac
		echo "$k $v" >>"$tmp/c"
	done
done
python3 - "$tmp/c" "$GB" <<'PY'
import statistics, sys
v = {}
for line in open(sys.argv[1]):
    k, x = line.split()
    v.setdefault(k, []).append(float(x))
d, l = statistics.median(v["direct"]), statistics.median(v["local"])
print(f"CPU seconds per GB ({sys.argv[2]} GB x 3, all CPUs): direct {d:.3f}, "
      f"published via 127.0.0.1 {l:.3f} ({d / l * 100:.0f}% of direct's bytes per CPU second)")
PY
$B rm -f srv srvhost >/dev/null
# a plain TCP server for the connection rate
$B run -d --name acc -p 15203:80 $libs berth-test/busybox /usr/bin/python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 80)); s.listen(512)
while True:
    c, _ = s.accept(); c.close()' >/dev/null 2>&1 || true
sleep 1
ip=$($B inspect acc | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["NetworkSettings"]["IPAddress"])')
rate "$ip" 80 15203
$B rm -f acc >/dev/null
rss() { awk '/^VmRSS/ {print $2}' "/proc/$(cat "$BERTH_RUN/berth-netd.pid")/status"; }
echo "berth-netd RSS idle: $(rss) KiB"
for i in $(seq "$n"); do $B run -d berth-test/busybox sleep 100000 >/dev/null; done
echo "berth-netd RSS with $n containers attached: $(rss) KiB"
