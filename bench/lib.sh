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
