# Debian 13 (trixie) packaging of the series: shared by deb.sh, deb-check.sh
# and deb-test.sh. Source it after lib.sh; do not run it.
# shellcheck shell=bash

# Debian's packaging of exactly our base, from trixie, sha256-pinned like the
# upstream tarball (scripts/fetch.sh).
DEBIAN_REVISION=3+deb13u3
DEBIAN_VERSION=$LIBVIRT_VERSION-$DEBIAN_REVISION
DEBIAN_TARBALL=libvirt_${DEBIAN_VERSION}.debian.tar.xz
DEBIAN_SHA256=ec073ef64c50ab8732d7a3887a73500d9ebcbc87b1e927d4ec69ea5c58539325

# Ours: sorts above Debian's (dpkg --compare-versions), below a future
# +deb13u4.
SWITCHOVER_REVISION=1
PKG_VERSION=$DEBIAN_VERSION+switchover$SWITCHOVER_REVISION

# Where our series goes inside debian/patches/.
DEB_PATCH_SUBDIR=switchover

DEB_WORK=$WORK/deb
DEB_MIRROR=${DEB_MIRROR:-http://deb.debian.org/debian}
DEB_SUITE=trixie

deb_verify() {
    echo "$DEBIAN_SHA256  $1" | sha256sum --check --status
}

# Prints the path of the cached, verified Debian packaging tarball; fetches it
# with apt (trixie deb-src entry, added by fetch.sh) if it is not cached.
fetch_debian_packaging() {
    local tarball=$CACHE_DIR/$DEBIAN_TARBALL tmp
    if [ -f "$tarball" ] && deb_verify "$tarball"; then
        echo "$tarball"
        return 0
    fi
    require_root
    # fetch.sh adds the trixie deb-src entry (and fetches the orig tarball).
    "$TOP/scripts/fetch.sh" >/dev/null
    mkdir -p "$CACHE_DIR"
    log "downloading $DEBIAN_TARBALL"
    tmp=$(mktemp -d "$CACHE_DIR/fetch.XXXXXX")
    (cd "$tmp" && quiet apt-get source --diff-only "libvirt/$DEB_SUITE") || {
        rm -rf "$tmp"
        die "could not download Debian's packaging (apt-get source --diff-only libvirt/$DEB_SUITE)"
    }
    if [ ! -f "$tmp/$DEBIAN_TARBALL" ]; then
        local got
        got=$(ls "$tmp")
        rm -rf "$tmp"
        die "Debian no longer serves $DEBIAN_TARBALL (got: $got)"
    fi
    if ! deb_verify "$tmp/$DEBIAN_TARBALL"; then
        local sum
        sum=$(sha256sum <"$tmp/$DEBIAN_TARBALL" | cut -d' ' -f1)
        rm -rf "$tmp"
        die "checksum mismatch for $DEBIAN_TARBALL: expected $DEBIAN_SHA256, got $sum"
    fi
    mv "$tmp/$DEBIAN_TARBALL" "$tarball"
    rm -rf "$tmp"
    echo "$tarball"
}

# Our patches, in the order of patches/series (comments and blank lines
# skipped).
our_series() {
    sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$PATCHES/series"
}

# prepare_source DIR: DIR/libvirt-11.3.0 = the pinned tarball + Debian's
# debian/ + our series appended to debian/patches/series under
# debian/patches/$DEB_PATCH_SUBDIR/, with a changelog entry for
# $PKG_VERSION. Patches are not applied (dpkg-source or quilt does that).
# Also puts libvirt_11.3.0.orig.tar.xz next to it, as dpkg-source wants.
# With PATCHED_ONLY=1, only the upstream files the patches touch are unpacked
# (enough for quilt; deb-check.sh), not the whole tree.
prepare_source() {
    local dir=$1 orig debtar src p
    orig=$("$TOP/scripts/fetch.sh")
    debtar=$(fetch_debian_packaging)
    src=$dir/libvirt-$LIBVIRT_VERSION
    rm -rf "$src"
    mkdir -p "$src"
    ln -sf "$orig" "$dir/$LIBVIRT_TARBALL"
    tar -C "$src" -xf "$debtar"
    if [ "${PATCHED_ONLY:-0}" = 1 ]; then
        # Every a/ and b/ path of Debian's patches and ours; the ones the
        # tarball does not have are created by a patch.
        sed -n -e 's|^--- a/\([^[:space:]]*\).*|\1|p' -e 's|^+++ b/\([^[:space:]]*\).*|\1|p' \
            "$src"/debian/patches/*/*.patch "$PATCHES"/*.patch |
            sort -u | sed "s|^|libvirt-$LIBVIRT_VERSION/|" >"$dir/members"
        tar -C "$dir" -xf "$orig" --verbatim-files-from -T "$dir/members" 2>/dev/null || true
        rm -f "$dir/members"
    else
        tar -C "$dir" -xf "$orig"
    fi
    [ -f "$src/meson.build" ] || [ "${PATCHED_ONLY:-0}" = 1 ] ||
        die "$LIBVIRT_TARBALL did not unpack into libvirt-$LIBVIRT_VERSION"
    mkdir -p "$src/debian/patches/$DEB_PATCH_SUBDIR"
    {
        echo
        echo "# libvirt-switchover: the migration switchover hook ($PKG_VERSION)"
    } >>"$src/debian/patches/series"
    while read -r p; do
        [ -f "$PATCHES/$p" ] || die "patches/series names $p, which is missing"
        cp "$PATCHES/$p" "$src/debian/patches/$DEB_PATCH_SUBDIR/$p"
        echo "$DEB_PATCH_SUBDIR/$p" >>"$src/debian/patches/series"
    done < <(our_series)
    add_changelog_entry "$src/debian/changelog"
}

# A changelog entry above Debian's, by hand (no devscripts needed). The date
# is the last commit's (or now), so that two runs give the same entry.
add_changelog_entry() {
    local changelog=$1 date n tmp
    date=$(git -C "$TOP" log -1 --format=%aD 2>/dev/null || date -R)
    n=$(our_series | wc -l)
    tmp=$(mktemp)
    {
        echo "libvirt ($PKG_VERSION) $DEB_SUITE; urgency=medium"
        echo
        echo "  * Not an official Debian upload: Debian's $DEBIAN_VERSION with the"
        echo "    libvirt-switchover series ($n patches) appended in"
        echo "    debian/patches/$DEB_PATCH_SUBDIR/: a migration switchover hook"
        echo "    (/etc/libvirt/hooks/qemu <vm> switchover prepare|begin|end|abort)"
        echo "    and the qemu.conf option switchover_hook_timeout."
        echo "  * Series: $(series_id)."
        echo
        echo " -- libvirt-switchover <libvirt-switchover@example.org>  $date"
        echo
        cat "$changelog"
    } >"$tmp"
    mv "$tmp" "$changelog"
}

# A trixie root made by mmdebstrap from the mirror, as a tarball cached in
# $DEB_WORK, keyed by what goes into it. make_root NAME KEY MMDEBSTRAP-ARGS...
# prints the tarball's path; reuses it when KEY is unchanged.
make_root() {
    local name=$1 key=$2 tar stamp
    shift 2
    tar=$DEB_WORK/$name.tar
    stamp=$DEB_WORK/$name.key
    if [ -f "$tar" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
        log "reusing $name (${tar#"$TOP"/})"
        echo "$tar"
        return 0
    fi
    command -v mmdebstrap >/dev/null || {
        log "installing mmdebstrap"
        DEBIAN_FRONTEND=noninteractive quiet apt-get install -y -q --no-install-recommends mmdebstrap ||
            die "apt-get install mmdebstrap failed"
    }
    log "creating $name with mmdebstrap ($DEB_SUITE from $DEB_MIRROR)"
    rm -f "$tar" "$stamp"
    mmdebstrap --mode=root --format=tar "$@" "$DEB_SUITE" "$tar.tmp" "$DEB_MIRROR" >&2 ||
        die "mmdebstrap failed for $name"
    mv "$tar.tmp" "$tar"
    echo "$key" >"$stamp"
    echo "$tar"
}

# unpack_root TAR DIR: a fresh copy of a cached root.
unpack_root() {
    local tar=$1 dir=$2
    umount_tree "$dir"
    rm -rf "$dir"
    mkdir -p "$dir"
    tar -C "$dir" --numeric-owner -xpf "$tar"
}

# Unmount everything below DIR (left over from an interrupted run).
umount_tree() {
    local m
    [ -d "$1" ] || return 0
    for m in $(awk -v d="$(realpath "$1")" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r); do
        umount -l "$m" 2>/dev/null || true
    done
}

# in_root DIR COMMAND...: run COMMAND inside DIR, chrooted, in new mount, PID,
# UTS, IPC and network namespaces (only loopback: no network, as on a buildd),
# with /proc, /sys, /dev (minimal), /dev/pts, /dev/shm and /tmp of its own.
# The host's tini is PID 1 of the new PID namespace and reaps orphans, as init
# does on a buildd: libvirt's commandtest waits for a daemonized child to be
# gone, which a zombie never is.
in_root() {
    local dir=$1
    shift
    command -v tini >/dev/null || {
        DEBIAN_FRONTEND=noninteractive quiet apt-get install -y -q --no-install-recommends tini ||
            die "apt-get install tini failed"
    }
    unshare --mount --pid --fork --uts --ipc --net --propagation private \
        "$(command -v tini)" -s -g -- /bin/bash -euo pipefail -c '
            dir=$1; shift
            ip link set lo up
            hostname switchover-build
            # The root a mount point of its own, as in a real system (QEMU
            # run by libvirt with namespaces = ["mount"] needs it).
            mount --bind "$dir" "$dir"
            mount -t proc proc "$dir/proc"
            mount -t sysfs -o ro sysfs "$dir/sys" 2>/dev/null || true
            mount -t tmpfs -o mode=755,nosuid tmpfs "$dir/dev"
            for n in null zero full random urandom tty; do
                touch "$dir/dev/$n"; mount --bind "/dev/$n" "$dir/dev/$n"
            done
            ln -s /proc/self/fd "$dir/dev/fd"
            ln -s /proc/self/fd/0 "$dir/dev/stdin"
            ln -s /proc/self/fd/1 "$dir/dev/stdout"
            ln -s /proc/self/fd/2 "$dir/dev/stderr"
            mkdir -p "$dir/dev/pts" "$dir/dev/shm"
            mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$dir/dev/pts"
            ln -s pts/ptmx "$dir/dev/ptmx"
            mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$dir/dev/shm"
            mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$dir/tmp"
            exec chroot "$dir" "$@"
        ' in_root "$dir" "$@"
}

# Run the calling script (deb_renice "$0" "$@") again under nice -n 19
# ionice -c3, once: be kind to the timing-sensitive tests others run on
# this machine.
deb_renice() {
    [ -z "${SWITCHOVER_DEB_NICED:-}" ] || return 0
    export SWITCHOVER_DEB_NICED=1
    exec nice -n 19 ionice -c3 "$@"
}
