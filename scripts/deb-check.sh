#!/usr/bin/env bash
# The fast packaging check of `make test` (seconds, no network once Debian's
# packaging tarball is cached): does Debian 13's packaging still take the
# series? The pinned upstream tarball + Debian's debian/ (11.3.0-3+deb13u3,
# pinned) + our patches/series appended under debian/patches/switchover/, as
# `make deb` prepares it; then every patch of the combined series is pushed
# with quilt, one test per patch, without fuzz (--fuzz=0, as dpkg-source
# applies them). Plus the changelog entry: it parses and sorts above Debian's.
# Ends with "N passed, N failed".
. "$(dirname "$0")/lib.sh"
. "$TOP/scripts/deb-lib.sh"

passed=0 failed=0
ok() { passed=$((passed + 1)); echo "PASS: $*"; }
ko() { failed=$((failed + 1)); echo "FAIL: $*"; }
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

command -v quilt >/dev/null || { ko "quilt is not installed (scripts/deps.sh build)"; finish; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/deb-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if PATCHED_ONLY=1 prepare_source "$tmp" >"$tmp/prepare.log" 2>&1; then
    ok "source prepared: $LIBVIRT_TARBALL + $DEBIAN_TARBALL (sha256-pinned) + patches/series"
else
    cat "$tmp/prepare.log"
    ko "could not prepare the source"
    finish
fi
src=$tmp/libvirt-$LIBVIRT_VERSION

# The changelog entry.
version=$(cd "$src" && dpkg-parsechangelog -S Version 2>/dev/null || true)
if [ "$version" = "$PKG_VERSION" ] && dpkg --compare-versions "$version" gt "$DEBIAN_VERSION"; then
    ok "debian/changelog: $version, above Debian's $DEBIAN_VERSION"
else
    ko "debian/changelog: version '$version' (want $PKG_VERSION, above $DEBIAN_VERSION)"
fi

# The combined series, one patch at a time.
export QUILT_PATCHES=debian/patches QUILT_SERIES=debian/patches/series QUILT_PC=.pc
total=$(cd "$src" && quilt series | wc -l)
ours=$(our_series | wc -l)
n=0
while [ "$n" -lt "$total" ]; do
    next=$(cd "$src" && quilt next 2>/dev/null || true)
    next=${next#"$QUILT_PATCHES"/}
    n=$((n + 1))
    if out=$(cd "$src" && quilt push --fuzz=0 2>&1); then
        if grep -q 'offset' <<<"$out"; then
            ok "$next (with offsets: $(grep -c offset <<<"$out") hunks)"
        else
            ok "$next"
        fi
    else
        echo "$out" | tail -n 20
        ko "$next does not apply without fuzz"
        # The rest cannot be tried on top of a failed patch.
        rest=$((total - n))
        [ "$rest" -gt 0 ] && ko "$rest further patches not tried"
        break
    fi
done
echo "(combined series: $total patches, $((total - ours)) Debian's, $ours ours)"
finish
