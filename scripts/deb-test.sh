#!/usr/bin/env bash
# `make deb-test`: the packages of `make deb` on a Debian 13 (trixie) system.
#
# A trixie root made by mmdebstrap from deb.debian.org with Debian's own
# libvirt 11.3.0-3+deb13u3 (libvirt-daemon-system, libvirt-clients), trixie's
# QEMU 10.0 (qemu-system-x86) and augeas-tools, cached as
# work/deb/trixie-test-root.tar and unpacked afresh each run into
# work/deb/test-root. Inside it (own mount, PID, UTS, IPC and network
# namespaces, loopback only, tini as PID 1) scripts/deb-test-inner.sh:
#   - starts Debian's virtlogd + libvirtd and a TCG guest on them;
#   - installs our packages over Debian's (dpkg -i, the same set), restarts
#     the daemons: the guest must still run, same QEMU process;
#   - checks /etc/libvirt/qemu.conf (the new option, commented like the
#     others), the packaged augeas lens (augparse of its test, augtool), that
#     the daemon takes switchover_hook_timeout and refuses 0;
#   - a script in /etc/libvirt/hooks/qemu.d/ runs after a reload (SIGHUP).
# Ends with "N passed, N failed". Under nice -n 19 ionice -c3.
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/deb-lib.sh"
require_root

deb_renice "$0" "$@"

start=$SECONDS
# The root first: it does not need the packages (--root-only stops there).
# Debian's libvirt packages are kept in /root/debian-debs for the way back.
root_key="v2 $DEB_SUITE $DEB_MIRROR libvirt $DEBIAN_VERSION"
root_tar=$(make_root trixie-test-root "$root_key" \
    --variant=apt \
    --include=libvirt-daemon-system,libvirt-clients,libvirt-daemon-driver-qemu,qemu-system-x86,augeas-tools,tini,procps,iproute2 \
    --customize-hook='mkdir -p "$1/root/debian-debs" && cp "$1"/var/cache/apt/archives/libvirt*.deb "$1/root/debian-debs/"' \
    --customize-hook='chroot "$1" apt-get clean')
[ "${1:-}" = --root-only ] && exit 0

changes=$DEB_WORK/libvirt_${PKG_VERSION}_amd64.changes
[ -f "$changes" ] || die "no ${changes#"$TOP"/}: run make deb first"
guest=$WORK/guest
if [ ! -f "$guest/vmlinuz" ] || [ ! -f "$guest/initrd.cpio" ]; then
    "$TOP/scripts/deps.sh" lab
    "$TOP/lab/guest/build.sh"
fi


root=$DEB_WORK/test-root
trap 'umount_tree "$root"' EXIT
unpack_root "$root_tar" "$root"
mkdir -p "$root/debs" "$root/guest"
cp "$DEB_WORK"/*.deb "$root/debs/"
cp "$guest/vmlinuz" "$guest/initrd.cpio" "$root/guest/"
chmod 755 "$root/guest" && chmod 644 "$root/guest"/*
install -m 755 "$TOP/scripts/deb-test-inner.sh" "$root/root/deb-test-inner.sh"

log "testing $PKG_VERSION in ${root#"$TOP"/} (Debian's $DEBIAN_VERSION first)"
rc=0
in_root "$root" /usr/bin/tini -s -- /root/deb-test-inner.sh "$PKG_VERSION" "$DEBIAN_VERSION" \
    2>&1 | tee "$DEB_WORK/deb-test.log" || rc=$?
# Keep the logs of the run next to the packages.
rm -rf "$DEB_WORK/deb-test-logs"
cp -a "$root/var/log" "$DEB_WORK/deb-test-logs" 2>/dev/null || true
echo "make deb-test: $((SECONDS - start)) s; log: ${DEB_WORK#"$TOP"/}/deb-test.log, ${DEB_WORK#"$TOP"/}/deb-test-logs/"
grep -qE '^[0-9]+ passed, 0 failed' "$DEB_WORK/deb-test.log" && [ "$rc" -eq 0 ]
