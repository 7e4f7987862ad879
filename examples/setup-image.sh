#!/bin/sh
# Imports the image the examples use (Debian's static busybox) into berth's store, once.
# usage: examples/setup-image.sh [BERTH]
set -eu
BERTH=${1:-berth}
here=$(cd "$(dirname "$0")" && pwd)
if "$BERTH" image inspect berth-examples/busybox:latest >/dev/null 2>&1; then exit 0; fi
"$here/../scripts/make-busybox-image.sh" "$BERTH" berth-examples/busybox:latest >/dev/null
