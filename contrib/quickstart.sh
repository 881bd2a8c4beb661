#!/bin/sh
# The quick start: install build dependencies, build berth, start its three
# daemons with a local state directory, load an image and run a container.
# Usage: contrib/quickstart.sh     (as root, or a user with sudo)
set -eu
cd "$(dirname "$0")/.."
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
contrib/install-deps.sh
[ -x configure ] || ./autogen.sh
[ -f Makefile ] || ./configure --quiet
make -j"$(nproc)" --no-print-directory
state="$(pwd)/.berth-local"
export BERTH_ROOT="$state/root" BERTH_RUN="$state/run"
$sudo ./berth --root "$BERTH_ROOT" --run "$BERTH_RUN" system start
$sudo ./berth --root "$BERTH_ROOT" --run "$BERTH_RUN" version
$sudo ./berth --root "$BERTH_ROOT" --run "$BERTH_RUN" info
# an image made on the spot from the host's busybox-static, nothing downloaded
python3 tests/fixtures/make-images.py "$state/images" >/dev/null
$sudo ./berth --root "$BERTH_ROOT" --run "$BERTH_RUN" load -i "$state/images/busybox.tar"
$sudo ./berth --root "$BERTH_ROOT" --run "$BERTH_RUN" images
# and a container from it
$sudo ./berth --root "$BERTH_ROOT" --run "$BERTH_RUN" run --rm berth-test/busybox \
	sh -c 'echo "hello from container $(hostname), pid $$"'
cat <<MSG

berth is running with its state in $state.
  export BERTH_ROOT=$BERTH_ROOT BERTH_RUN=$BERTH_RUN
  ./berth run -it --rm berth-test/busybox sh   # a shell in a container
  ./berth run -d --name web berth-test/busybox sleep 1000; ./berth ps
  ./berth system status        # see the daemons
  ./berth system stop          # stop them
MSG
