#!/usr/bin/env bash
# `make deb`: Debian 13 (trixie) packages of libvirt 11.3.0 with the series.
#
# Debian's own packaging for 11.3.0-3+deb13u3 (sha256-pinned, cached in
# $CACHE_DIR) on the pinned upstream tarball, our patches/series appended to
# debian/patches/series under debian/patches/switchover/, a changelog entry
# for 11.3.0-3+deb13u3+switchoverN, built with dpkg-buildpackage (source and
# binaries, -us -uc) as an unprivileged user in a trixie root made by
# mmdebstrap from deb.debian.org with trixie's build dependencies. The root is
# cached as work/deb/trixie-build-root.tar (remade only when debian/control
# changes) and unpacked afresh for every build. The build runs without
# network, and Debian's test suite runs as in Debian (dh_auto_test; nocheck is
# not set). Everything runs under nice -n 19 ionice -c3, with
# DEB_BUILD_OPTIONS=parallel=2 unless DEB_BUILD_OPTIONS is set.
#
# Result: work/deb/*.deb, *.dsc, *.debian.tar.xz, *.buildinfo and
# libvirt_<version>_amd64.changes; the log in work/deb/build.log.
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/deb-lib.sh"
require_root

deb_renice "$0" "$@"
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-parallel=2}

mkdir -p "$DEB_WORK"
exec > >(tee "$DEB_WORK/build.log") 2>&1
start=$SECONDS
log "$(date -u '+%F %T') UTC: building libvirt $PKG_VERSION (DEB_BUILD_OPTIONS=$DEB_BUILD_OPTIONS)"

# 1. The source: tarball + debian/ + our series, in work/deb/src.
srcdir=$DEB_WORK/src
rm -rf "$srcdir"
prepare_source "$srcdir"
src=$srcdir/libvirt-$LIBVIRT_VERSION
log "source ready: $(grep -vc '^\(#.*\)\?$' "$src/debian/patches/series") patches in debian/patches/series" \
    "($(our_series | wc -l) of them ours, in debian/patches/$DEB_PATCH_SUBDIR/)"

# 2. The build root: trixie, buildd variant (essential + build-essential),
# Debian's build dependencies (Build-Depends and Build-Depends-Indep, no
# recommends) and an unprivileged user, as on a buildd.
root_key="v1 $DEB_SUITE $DEB_MIRROR $(sha256sum <"$src/debian/control" | cut -c1-16)"
root_tar=$(make_root trixie-build-root "$root_key" \
    --variant=buildd --include=passwd,fakeroot \
    --customize-hook='mkdir -p "$1/tmp/bd/debian"' \
    --customize-hook="copy-in $src/debian/control $src/debian/changelog /tmp/bd/debian" \
    --customize-hook='chroot "$1" apt-get build-dep -y -q --no-install-recommends /tmp/bd' \
    --customize-hook='rm -rf "$1/tmp/bd"' \
    --customize-hook='chroot "$1" useradd --create-home --uid 2000 --shell /bin/bash builder' \
    --customize-hook='chroot "$1" apt-get clean')
log "build root: ${root_tar#"$TOP"/} ($(du -sh "$root_tar" | cut -f1)), $((SECONDS - start)) s so far"

# 3. Build in a fresh copy of it.
root=$DEB_WORK/build-root
trap 'umount_tree "$root"' EXIT
unpack_root "$root_tar" "$root"
mkdir -p "$root/build"
cp -a "$srcdir/libvirt-$LIBVIRT_VERSION" "$root/build/"
cp -L "$srcdir/$LIBVIRT_TARBALL" "$root/build/"
chown -R 2000:2000 "$root/build"
log "dpkg-buildpackage -us -uc in ${root#"$TOP"/} (as user builder, no network)"
t0=$SECONDS
rc=0
in_root "$root" /usr/sbin/runuser -u builder -- /usr/bin/env -i \
    HOME=/home/builder USER=builder LOGNAME=builder PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    DEB_BUILD_OPTIONS="$DEB_BUILD_OPTIONS" \
    /bin/sh -c "cd /build/libvirt-$LIBVIRT_VERSION && dpkg-buildpackage -us -uc" || rc=$?
log "dpkg-buildpackage exited $rc after $((SECONDS - t0)) s"
[ "$rc" -eq 0 ] || die "the build failed; see ${DEB_WORK#"$TOP"/}/build.log (meson's testlog is printed above on a test failure)"

# 4. The results, in work/deb/.
rm -f "$DEB_WORK"/*.deb "$DEB_WORK"/*.changes "$DEB_WORK"/*.buildinfo "$DEB_WORK"/*.dsc "$DEB_WORK"/*.debian.tar.xz
cp "$root"/build/*.deb "$root"/build/*.changes "$root"/build/*.buildinfo "$root"/build/*.dsc \
    "$root"/build/*.debian.tar.xz "$DEB_WORK/"
cp -L "$srcdir/$LIBVIRT_TARBALL" "$DEB_WORK/"
umount_tree "$root"
rm -rf "$root"
trap - EXIT
changes=$(ls "$DEB_WORK"/*.changes)
log "$(ls "$DEB_WORK"/*.deb | wc -l) packages, version $PKG_VERSION: ${changes#"$TOP"/}"
log "make deb: $((SECONDS - start)) s"
