#!/usr/bin/env bash
# Lean build of work/libvirt in work/libvirt/build, installed (DESTDIR) into
# work/install for the lab.
#
#   build.sh                configure if needed, compile, install if changed
#   build.sh --no-install   configure if needed, compile (the series check)
#   build.sh --upstream     the same for unpatched 11.3.0, the benchmark's
#                           baseline: the tarball alone in work/libvirt-upstream,
#                           installed into work/install-upstream with its own
#                           prefix
. "$(dirname "$0")/lib.sh"

install=1
case "${1:-}" in
    --no-install) install=0 ;;
    --upstream)
        SRC=$UPSTREAM_SRC BUILD=$UPSTREAM_SRC/build
        INSTALL_ROOT=$UPSTREAM_INSTALL_ROOT PREFIX=$UPSTREAM_PREFIX
        if [ ! -d "$SRC" ]; then
            tarball=$("$TOP/scripts/fetch.sh")
            log "unpacking $(basename "$tarball") into work/libvirt-upstream"
            mkdir -p "$SRC"
            tar -xf "$tarball" -C "$SRC" --strip-components=1
        fi
        ;;
    '') ;;
    *) die "usage: $0 [--no-install | --upstream]" ;;
esac

# Only what the switchover work needs: the QEMU driver behind libvirtd and the
# modular daemons, the remote and test drivers, virsh, docs and tests.
MESON_OPTIONS=(
    --native-file="$TOP/scripts/meson-native.ini"
    --prefix="$PREFIX" -Drunstatedir="$PREFIX/var/run"
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

"$TOP/scripts/deps.sh" build

if [ ! -f "$BUILD/build.ninja" ]; then
    log "configuring ${BUILD#"$TOP"/}"
    quiet meson setup "$BUILD" "$SRC" "${MESON_OPTIONS[@]}" ||
        die "meson setup failed"
fi

log "compiling ${SRC#"$TOP"/}"
ninja_log=$(mktemp)
if ! ninja -C "$BUILD" >"$ninja_log" 2>&1; then
    grep -E 'error|FAILED|warning' "$ninja_log" | head -n 40 >&2
    rm -f "$ninja_log"
    die "build of ${SRC#"$TOP"/} failed"
fi
rm -f "$ninja_log"

# Install tree for the lab, only when the build changed (also by a ninja run
# by hand).
[ "$install" = 1 ] || exit 0
stamp=$INSTALL_ROOT/.installed
if [ -f "$stamp" ] &&
    [ -z "$(find "$BUILD/src" "$BUILD/tools" -newer "$stamp" -type f -print -quit)" ]; then
    exit 0
fi
log "installing into ${INSTALL_ROOT#"$TOP"/}$PREFIX"
rm -rf "$INSTALL_ROOT"
quiet meson install -C "$BUILD" --destdir "$INSTALL_ROOT" --no-rebuild ||
    die "meson install failed"
touch "$stamp"
