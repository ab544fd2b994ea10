#!/usr/bin/env bash
# Fetch QEMU 10.0 (the QEMU Debian 13 ships with libvirt 11.3.0) from
# bookworm-backports as .deb files into $CACHE_DIR, and unpack them below
# $QEMU10_ROOT with dpkg -x. Nothing is installed: the system keeps its QEMU
# 7.2, and a lab host that runs QEMU 10.0 bind-mounts the unpacked tree at the
# system paths inside its own mount namespace (lab/lib.sh). Prints the root.
. "$(dirname "$0")/lib.sh"

stamp=$QEMU10_ROOT/.unpacked
if [ -f "$stamp" ]; then
    echo "$QEMU10_ROOT"
    exit 0
fi

require_root
sources=/etc/apt/sources.list.d/libvirt-switchover-backports.sources
if ! grep -qs bookworm-backports "$sources"; then
    log "adding bookworm-backports ($sources), for downloads only"
    cat >"$sources" <<'SRC'
# Added by libvirt-switchover: QEMU 10.0 for the lab, downloaded with
# `apt-get download` and unpacked under work/; never installed.
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    quiet apt-get update -q || die "apt-get update failed"
fi

dir=$CACHE_DIR/qemu-10.0
mkdir -p "$dir"
for p in "${QEMU10_PACKAGES[@]}"; do
    v=$(apt-cache policy "$p" | awk '/bookworm-backports/ { print prev; exit } { prev = $1 }')
    [ -n "$v" ] || die "bookworm-backports has no $p"
    deb=$(ls "$dir/${p}_"*.deb 2>/dev/null | head -n1 || true)
    if [ -z "$deb" ]; then
        log "downloading $p $v from bookworm-backports"
        (cd "$dir" && quiet apt-get download "$p=$v") || die "apt-get download $p=$v failed"
    fi
done

rm -rf "$QEMU10_ROOT"
mkdir -p "$QEMU10_ROOT"
for p in "${QEMU10_PACKAGES[@]}"; do
    dpkg -x "$(ls "$dir/${p}_"*.deb | head -n1)" "$QEMU10_ROOT"
done
"$QEMU10_ROOT/usr/bin/qemu-system-x86_64" -L "$QEMU10_ROOT/usr/share/qemu" --version >/dev/null ||
    die "the unpacked QEMU 10.0 does not run"
touch "$stamp"
echo "$QEMU10_ROOT"
