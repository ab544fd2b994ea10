# Shared settings and helpers for the workspace scripts. Source it; do not run it.
# shellcheck shell=bash

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

LIBVIRT_VERSION=11.3.0
# The libvirt release the series targets: NEWS.rst and every :since: of the
# patches, and the cover letter (patches/cover-letter.txt) say this version;
# scripts/mbox-check.sh checks it.
TARGET_VERSION=11.4.0
LIBVIRT_TARBALL=libvirt_${LIBVIRT_VERSION}.orig.tar.xz
LIBVIRT_SHA256=6bcb0c42c4580436fea262ced56f68a6afe20f7390b1bea2116718cc034a0283

# Downloads are kept outside the clone so that a fresh clone does not fetch again.
CACHE_DIR=${SWITCHOVER_CACHE_DIR:-/var/cache/libvirt-switchover}

# Everything generated lives below work/ (git-ignored).
WORK=$TOP/work
SRC=$WORK/libvirt                  # git work tree: pristine tarball + patches/
BUILD=$SRC/build                   # lean build of the work tree (inside it, so
                                   # that ccache sees the same relative paths)
INSTALL_ROOT=$WORK/install         # DESTDIR of `meson install`

# The prefix the daemons are built for. Lab hosts bind-mount
# $INSTALL_ROOT$PREFIX onto $PREFIX inside their own mount namespace; nothing
# is installed into the root file system.
PREFIX=/opt/libvirt-switchover/patched

# Unpatched libvirt, built the same way: the benchmark's baseline.
UPSTREAM_SRC=$WORK/libvirt-upstream
UPSTREAM_INSTALL_ROOT=$WORK/install-upstream
UPSTREAM_PREFIX=/opt/libvirt-switchover/upstream

# Only what the switchover work needs: the QEMU driver behind libvirtd and the
# modular daemons, the remote and test drivers, virsh, docs and tests. Shared by
# build.sh and sanitize.sh; each adds its --prefix and -Drunstatedir (under the
# prefix, or the daemon and virsh disagree on the socket path).
LEAN_MESON_OPTIONS=(
    --native-file="$TOP/scripts/meson-native.ini"
    -Ddriver_qemu=enabled -Ddriver_remote=enabled -Ddriver_libvirtd=enabled
    -Ddriver_test=enabled -Ddocs=enabled -Dtests=enabled
    -Ddriver_bhyve=disabled -Ddriver_ch=disabled -Ddriver_esx=disabled
    -Ddriver_hyperv=disabled -Ddriver_interface=disabled
    -Ddriver_libxl=disabled -Ddriver_lxc=disabled -Ddriver_network=disabled
    -Ddriver_openvz=disabled -Ddriver_secrets=disabled -Ddriver_vbox=disabled
    -Ddriver_vmware=disabled -Ddriver_vz=disabled
    -Dstorage_dir=disabled -Dstorage_disk=disabled -Dstorage_fs=disabled
    -Dstorage_gluster=disabled -Dstorage_iscsi=disabled
    -Dstorage_iscsi_direct=disabled -Dstorage_lvm=disabled
    -Dstorage_mpath=disabled -Dstorage_rbd=disabled -Dstorage_scsi=disabled
    -Dstorage_vstorage=disabled -Dstorage_zfs=disabled
    -Dwireshark_dissector=disabled -Dsanlock=disabled -Dlibssh=disabled
    -Dlibssh2=disabled -Dnls=disabled -Dbash_completion=disabled
    -Dhost_validate=disabled -Dlogin_shell=disabled -Dnss=disabled
    -Dfirewalld=disabled -Dpolkit=disabled -Dapparmor=disabled
    -Dsecdriver_apparmor=disabled -Dsecdriver_selinux=disabled
    -Dselinux=disabled -Dnbdkit=disabled -Dsysctl_config=disabled
    -Dinit_script=none -Dexpensive_tests=disabled
)

# QEMU 10.0 from bookworm-backports, unpacked (never installed) for the lab
# hosts that run it; see scripts/fetch-qemu.sh.
QEMU10_ROOT=$WORK/qemu-10.0
QEMU10_PACKAGES=(qemu-system-x86 qemu-system-common qemu-system-data qemu-utils seabios)

PATCHES=$TOP/patches
UPSTREAM_TAG=upstream-$LIBVIRT_VERSION

# Debian's python3, not a pyenv one that lacks docutils and pytest; once,
# not once more in every script that sources this one (the daemons pass
# PATH on to the hooks, and it shows in their error messages).
case ":$PATH:" in
:/usr/sbin:/usr/bin:/sbin:/bin:*) ;;
*) export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH ;;
esac
# ccache: share objects between clones and build directories.
export CCACHE_BASEDIR=$TOP
export CCACHE_NOHASHDIR=1

# git needs an identity for the pristine commit and as the committer of
# `git am`: the user's own, or a neutral one on a machine without any.
GIT_IDENT=()
if ! git config user.email >/dev/null 2>&1; then
    GIT_IDENT=(-c user.name=libvirt-switchover -c user.email=libvirt-switchover@example.org)
fi

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run a command, showing its output only if it fails.
quiet() {
    local out rc=0
    out=$(mktemp)
    "$@" >"$out" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
        tail -n 60 "$out" >&2
    fi
    rm -f "$out"
    return "$rc"
}

require_root() {
    [ "$(id -u)" -eq 0 ] || die "run this as root (it installs packages and creates namespaces)"
}

# Which series a result was obtained with: the repository's commit (marked if
# patches/ has uncommitted changes) and a hash of patches/.
series_id() {
    local id
    id=$(git -C "$TOP" log -1 --format=%h 2>/dev/null || echo unknown)
    git -C "$TOP" diff --quiet HEAD -- patches 2>/dev/null || id="$id+uncommitted patches/"
    echo "$id, patches/ sha256 $(cat "$PATCHES"/series "$PATCHES"/*.patch | sha256sum | cut -c1-12)"
}
