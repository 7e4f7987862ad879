#!/bin/sh
# Builds the tiny test image every berth test uses: Debian's static busybox with its applet links,
# /etc/passwd and /etc/group (root, nobody, app uid 1000), /tmp, imported as NAME via `berth image import`.
# usage: make-busybox-image.sh [BERTH] [NAME]   (state root from BERTH_ROOT or --root in $BERTH_ARGS)
# EXTRA_DIR=DIR adds DIR's contents at the image's / (the escape suite's probe program).
set -eu
BERTH=${1:-berth}
NAME=${2:-berth-test/busybox:latest}
BUSYBOX=${BUSYBOX:-/bin/busybox}
[ -x "$BUSYBOX" ] || { echo "make-busybox-image: $BUSYBOX missing (apt-get install busybox-static)" >&2; exit 1; }
if ! file -L "$BUSYBOX" 2>/dev/null | grep -q static && ldd "$BUSYBOX" >/dev/null 2>&1; then
  echo "make-busybox-image: $BUSYBOX is not statically linked (install busybox-static)" >&2; exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
r=$work/rootfs
mkdir -p "$r/bin" "$r/sbin" "$r/usr/bin" "$r/usr/sbin" "$r/etc" "$r/root" "$r/home/app" "$r/proc" "$r/sys" "$r/dev" "$r/var"
install -m 0755 "$BUSYBOX" "$r/bin/busybox"
# The applet dirs exist already (bin sbin usr/bin usr/sbin); one ln per applet, no subshells.
"$BUSYBOX" --list-full | while read -r applet; do
  [ "$applet" = bin/busybox ] || ln -sf /bin/busybox "$r/$applet"
done
cat > "$r/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
app:x:1000:1000:app:/home/app:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$r/etc/group" <<'G'
root:x:0:
app:x:1000:
nogroup:x:65534:
G
echo "berth-test" > "$r/etc/hostname"
mkdir -m 1777 "$r/tmp"
chown 1000:1000 "$r/home/app" 2>/dev/null || true
[ -z "${EXTRA_DIR:-}" ] || cp -a "$EXTRA_DIR/." "$r/"
tar --numeric-owner -C "$r" -cf "$work/rootfs.tar" .
# shellcheck disable=SC2086
"$BERTH" ${BERTH_ARGS:-} image import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
  "$work/rootfs.tar" "$NAME"
