#!/bin/sh
# Makes the visits example's base image, berth-examples/python-redis:bookworm: a minimal Debian 12
# (bookworm) root filesystem with python3, Flask, redis-py and redis-server, made from Debian's
# packages with mmdebstrap and imported into berth's store with `berth image import`.
# The packages are installed here rather than by a RUN in the example's Dockerfile because RUN steps
# get only loopback; this script needs nothing but Debian's package mirror.
#
# usage: examples/visits/make-base-image.sh [BERTH]
#   state root: $BERTH_ROOT (or berth's default, /var/lib/berth)
#   BERTH_EXAMPLES_CACHE: where the rootfs tarball is kept (default /var/cache/berth-examples)
#   BERTH_EXAMPLES_MIRROR: a Debian mirror URL to use instead of this machine's apt sources
# Nothing is done when the image is in the store already. The tarball is cached under a name that
# holds a hash of this script's code, so another state root or another set-up of this machine only
# imports it (seconds), and a change to the recipe below makes a new one (about a minute).
set -eu
BERTH=${1:-berth}
IMAGE=berth-examples/python-redis:bookworm
SUITE=bookworm
PACKAGES=python3,python3-flask,python3-redis,redis-server
CACHE=${BERTH_EXAMPLES_CACHE:-/var/cache/berth-examples}

die() { echo "make-base-image: $*" >&2; exit 1; }

command -v "$BERTH" >/dev/null 2>&1 || [ -x "$BERTH" ] || die "berth not found: $BERTH"
if "$BERTH" image inspect "$IMAGE" >/dev/null 2>&1; then exit 0; fi

here=$(cd "$(dirname "$0")" && pwd)
# the cache key: this script without its comment lines, so that only a change to the recipe counts
recipe=$(grep -v '^[[:space:]]*#' "$here/make-base-image.sh" | sha256sum | cut -c1-12)
tarball=$CACHE/python-redis-$SUITE-$recipe.tar.zst

if [ ! -s "$tarball" ]; then
  [ "$(id -u)" -eq 0 ] || die "run as root (mmdebstrap installs the packages into a chroot)"
  command -v mmdebstrap >/dev/null 2>&1 || die "mmdebstrap missing (apt-get install mmdebstrap)"
  command -v zstd >/dev/null 2>&1 || die "zstd missing (apt-get install zstd)"
  { mkdir -p "$CACHE" 2>/dev/null && [ -w "$CACHE" ]; } ||
    die "cannot write the cache directory $CACHE (set BERTH_EXAMPLES_CACHE to another)"
  # This machine's apt sources when they are Debian 12's standard file (its mirror, which may be
  # the only one it can reach); else mmdebstrap's default, deb.debian.org with bookworm-updates
  # and bookworm-security. Other files in sources.list.d are left out: they may name third-party
  # repositories whose keys and hosts the build cannot reach.
  set --
  if [ -n "${BERTH_EXAMPLES_MIRROR:-}" ]; then
    set -- "$BERTH_EXAMPLES_MIRROR"
  elif [ -f /etc/apt/sources.list.d/debian.sources ] && grep -Eq "^Suites:.*\\b$SUITE\\b" /etc/apt/sources.list.d/debian.sources; then
    set -- /etc/apt/sources.list.d/debian.sources
  fi
  partial=$tarball.partial.$$
  trap 'rm -f "$partial" "$partial.log"' EXIT
  trap 'exit 130' INT TERM
  start=$(date +%s)
  echo "make-base-image: making a $SUITE rootfs with $PACKAGES (about a minute)" >&2
  # --variant=essential: only Essential:yes packages plus the included ones (no apt: a RUN cannot
  #   download anyway). The merged-usr hook installs usr-is-merged, so init-system-helpers does not
  #   pull in usrmerge and with it all of perl (47 MB).
  # Documentation, manuals and translations are kept out by a dpkg path-exclude file (as Debian's
  #   slim images do) and removed after the essential packages were unpacked. The file is not named
  #   99mmdebstrap, as --dpkgopt's is: with that, mmdebstrap filters every essential package
  #   through a Python tar filter, which took 90 of 170 seconds.
  # force-unsafe-io: no fsync per file; a half-written chroot is thrown away anyway.
  # output/dev: no device nodes in the image; the runtime makes /dev.
  # The hooks are in single quotes on purpose: mmdebstrap runs them with the chroot's path as $1.
  # shellcheck disable=SC2016
  if ! mmdebstrap --variant=essential --include="$PACKAGES" \
      --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
      --dpkgopt=force-unsafe-io \
      --setup-hook='mkdir -p "$1/etc/dpkg/dpkg.cfg.d" && printf "%s\n" "path-exclude=/usr/share/doc/*" "path-exclude=/usr/share/man/*" "path-exclude=/usr/share/info/*" "path-exclude=/usr/share/locale/*" >"$1/etc/dpkg/dpkg.cfg.d/excludes"' \
      --customize-hook='rm -rf "$1"/usr/share/doc/* "$1"/usr/share/man/* "$1"/usr/share/info/* "$1"/usr/share/locale/*' \
      --skip=output/dev --format=tar \
      "$SUITE" - "$@" 2>"$partial.log" | zstd -q -T0 >"$partial"; then
    cat "$partial.log" >&2
    die "mmdebstrap failed (output above)"
  fi
  # dash has no pipefail: an mmdebstrap failure shows as its log's last line, not as the status
  if ! tail -n 1 "$partial.log" | grep -q '^I: success'; then
    cat "$partial.log" >&2
    die "mmdebstrap failed (output above)"
  fi
  rm -f "$partial.log"
  mv "$partial" "$tarball"
  # tarballs of earlier recipes are of no more use
  for stale in "$CACHE"/python-redis-"$SUITE"-*.tar.zst; do
    [ "$stale" = "$tarball" ] || rm -f "$stale"
  done
  trap - EXIT
  echo "make-base-image: rootfs made in $(($(date +%s) - start)) s: $tarball" >&2
fi

"$BERTH" image import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["python3"]' \
  --message "Debian $SUITE with $PACKAGES (examples/visits/make-base-image.sh)" \
  "$tarball" "$IMAGE" >/dev/null
