#!/usr/bin/env bash
# The libvirt work tree: pristine upstream tarball + patches/ as git commits.
#
#   worktree.sh import [--force]  recreate work/libvirt from the tarball and
#                                 apply patches/series with `git am`
#   worktree.sh export            write the work tree's commits back into
#                                 patches/ (git format-patch, stable output)
#   worktree.sh sync              what build/test run first: import when the
#                                 tree is missing or patches/ changed, keep a
#                                 tree with newer local commits, refuse when
#                                 both changed
. "$(dirname "$0")/lib.sh"

STAMP=$WORK/libvirt.series-hash

git_src() { git -C "$SRC" "${GIT_IDENT[@]}" "$@"; }

series_hash() {
    # Hash of what patches/ says the series is (the files `import` reads).
    local dir=$1
    [ -f "$dir/series" ] || { echo empty; return; }
    (cd "$dir" && cat series $(grep -v '^\s*\(#\|$\)' series)) | sha256sum | cut -d' ' -f1
}

# Write the work tree's commits since the upstream tag as patches into $1.
export_to() {
    local dest=$1
    mkdir -p "$dest"
    git_src -c core.abbrev=12 format-patch --quiet --no-numbered \
        --zero-commit --no-signature --stat=80 --output-directory "$dest" \
        "$UPSTREAM_TAG..HEAD" >/dev/null
    (cd "$dest" && ls -1 -- *.patch 2>/dev/null || true) >"$dest/series"
}

do_import() {
    local force=${1:-}
    if [ -d "$SRC/.git" ] && [ "$force" != --force ]; then
        local tmp
        tmp=$(mktemp -d)
        export_to "$tmp"
        if [ "$(series_hash "$tmp")" != "$(cat "$STAMP" 2>/dev/null)" ]; then
            rm -rf "$tmp"
            die "work/libvirt has commits that are not in patches/: run 'make export' first, or 'make import FORCE=1' to drop them"
        fi
        rm -rf "$tmp"
    fi
    local tarball
    tarball=$("$TOP/scripts/fetch.sh")
    log "unpacking $(basename "$tarball") into work/libvirt"
    # Keep the build directory: files keep the tarball's timestamps, so
    # ninja rebuilds only what the patches touch.
    local kept_build=$WORK/build.kept
    if [ -d "$BUILD" ]; then
        rm -rf "$kept_build"
        mv "$BUILD" "$kept_build"
    fi
    rm -rf "$SRC"
    mkdir -p "$SRC"
    tar -xf "$tarball" -C "$SRC" --strip-components=1
    # Upstream keeps keycodemapdb as a git submodule: it must not be tracked,
    # or the syntax-check suite fails.
    git_src init -q
    printf "/subprojects/keycodemapdb/\n/build/\n" >>"$SRC/.git/info/exclude"
    git_src add -A -f .
    git_src rm -q -r --cached subprojects/keycodemapdb
    git_src commit -q -m "libvirt $LIBVIRT_VERSION, pristine ($LIBVIRT_TARBALL)"
    git_src tag "$UPSTREAM_TAG"
    local p
    while read -r p; do
        case "$p" in ''|'#'*) continue ;; esac
        [ -f "$PATCHES/$p" ] || die "patches/series names $p, which does not exist"
        if ! quiet git_src am --quiet --keep-cr "$PATCHES/$p"; then
            git_src am --abort 2>/dev/null || true
            die "patch $p does not apply to libvirt $LIBVIRT_VERSION"
        fi
    done < <(cat "$PATCHES/series" 2>/dev/null || true)
    series_hash "$PATCHES" >"$STAMP"
    log "work/libvirt: $(git_src rev-list --count "$UPSTREAM_TAG..HEAD") patches applied"
    # Only now: the pristine commit must not include it.
    if [ -d "$kept_build" ]; then
        mv "$kept_build" "$BUILD"
    fi
}

do_export() {
    [ -d "$SRC/.git" ] || die "no work tree: run 'make import' first"
    local tmp
    tmp=$(mktemp -d)
    export_to "$tmp"
    rm -f "$PATCHES"/*.patch "$PATCHES/series"
    mkdir -p "$PATCHES"
    cp "$tmp"/* "$PATCHES"/
    rm -rf "$tmp"
    series_hash "$PATCHES" >"$STAMP"
    log "exported $(grep -c . "$PATCHES/series" || true) patches to patches/"
}

do_sync() {
    if [ ! -d "$SRC/.git" ]; then
        do_import
        return
    fi
    local stamp patches_now tree_now tmp
    stamp=$(cat "$STAMP" 2>/dev/null || echo none)
    patches_now=$(series_hash "$PATCHES")
    tmp=$(mktemp -d)
    export_to "$tmp"
    tree_now=$(series_hash "$tmp")
    rm -rf "$tmp"
    if [ "$patches_now" = "$tree_now" ]; then
        echo "$patches_now" >"$STAMP"
    elif [ "$tree_now" = "$stamp" ]; then
        log "patches/ changed: re-importing work/libvirt"
        do_import --force
    elif [ "$patches_now" = "$stamp" ]; then
        log "warning: work/libvirt has commits not yet exported to patches/ (run 'make export')"
    else
        die "both patches/ and work/libvirt changed since the last import/export: export or re-import (make import FORCE=1) first"
    fi
}

case "${1:-}" in
    import) do_import "${2:-}" ;;
    export) do_export ;;
    sync) do_sync ;;
    *) die "usage: $0 import [--force] | export | sync" ;;
esac
