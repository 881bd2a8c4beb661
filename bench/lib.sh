# Shared by the bench scripts (sourced): what they need before they start.

# need PACKAGES -- TOOL...: fail with the apt-get line when a tool is missing.
need() {
	pkgs=$1
	shift
	for tool in "$@"; do
		command -v "$tool" >/dev/null || {
			echo "bench: $tool is not installed (apt-get install $pkgs)" >&2
			exit 1
		}
	done
}

# What every bench's berth leaves: its containers and daemons (B is the berth binary),
# mounts and files under $tmp and $run, its bridge and nftables table, the
# parent cgroups berth made (once empty).
bench_engine_cleanup() {
	$B rm -f $($B ps -aq 2>/dev/null) >/dev/null 2>&1
	$B system stop >/dev/null 2>&1
	sleep 0.5
	awk -v a="$tmp" -v b="$run" 'index($2, a) == 1 || index($2, b) == 1 {print $2}' /proc/mounts |
		sort -r | xargs -r umount -l
	rm -rf "$tmp" "$run"
	for d in /sys/fs/cgroup/*/berth /sys/fs/cgroup/berth; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
	ip link del "$BERTH_BRIDGE" 2>/dev/null
	nft delete table inet "$BERTH_NFT_TABLE" 2>/dev/null
}
