#!/usr/bin/env bash
# Fetch the upstream libvirt tarball from Debian (trixie source package) into
# $CACHE_DIR and verify its checksum. Prints the tarball's path.
. "$(dirname "$0")/lib.sh"

tarball=$CACHE_DIR/$LIBVIRT_TARBALL

verify() {
    echo "$LIBVIRT_SHA256  $1" | sha256sum --check --status
}

if [ -f "$tarball" ] && verify "$tarball"; then
    echo "$tarball"
    exit 0
fi

require_root
mkdir -p "$CACHE_DIR"
sources=/etc/apt/sources.list.d/libvirt-switchover-trixie-src.sources
if ! grep -qs trixie "$sources"; then
    log "adding a deb-src entry for trixie ($sources)"
    cat >"$sources" <<'SRC'
# Added by libvirt-switchover: source of the upstream libvirt 11.3.0 tarball.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    quiet apt-get update -q || die "apt-get update failed"
fi

log "downloading $LIBVIRT_TARBALL"
tmp=$(mktemp -d "$CACHE_DIR/fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && quiet apt-get source --tar-only "libvirt/trixie") ||
    die "could not download the libvirt source from Debian (apt-get source --tar-only libvirt/trixie)"
[ -f "$tmp/$LIBVIRT_TARBALL" ] ||
    die "Debian no longer serves $LIBVIRT_TARBALL (got: $(ls "$tmp"))"
verify "$tmp/$LIBVIRT_TARBALL" ||
    die "checksum mismatch for $LIBVIRT_TARBALL: expected $LIBVIRT_SHA256, got $(sha256sum <"$tmp/$LIBVIRT_TARBALL" | cut -d' ' -f1)"
mv "$tmp/$LIBVIRT_TARBALL" "$tarball"
echo "$tarball"
