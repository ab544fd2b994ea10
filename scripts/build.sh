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

MESON_OPTIONS=(
    "${LEAN_MESON_OPTIONS[@]}"
    --prefix="$PREFIX" -Drunstatedir="$PREFIX/var/run"
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
