#!/usr/bin/env bash
# Prove that every patch of the series builds and passes libvirt's test suite
# on its own, like `git rebase --exec`: check out each commit of work/libvirt
# in turn, build it incrementally in work/libvirt/build (ccache makes going
# back and forth cheap) and run `meson test`; then return to where the tree
# was. Prints "PASS <patch>" / "FAIL <patch>: <why>" and "N passed, N failed".
# A commit whose tree already passed with the same build script and meson
# options is not redone.
. "$(dirname "$0")/lib.sh"

passed_db=$WORK/series-check.passed
touch "$passed_db"
build_key=$({ cat "$TOP/scripts/build.sh"; printf '%s\n' "${LEAN_MESON_OPTIONS[@]}"; } |
    sha256sum | cut -c1-16)

git_src() { git -C "$SRC" "$@"; }

if [ -n "$(git_src status --porcelain --untracked-files=no)" ]; then
    echo "FAIL series: work/libvirt has uncommitted changes; commit them first"
    echo "0 passed, 1 failed"
    exit 1
fi
orig=$(git_src symbolic-ref -q --short HEAD || git_src rev-parse HEAD)
restore() { git_src checkout -q "$orig"; }
trap restore EXIT

passed=0 failed=0
while read -r commit; do
    n=$(git_src rev-list --count "$UPSTREAM_TAG..$commit")
    # After `worktree.sh sync`, commit n is line n of patches/series.
    name=$(grep -v '^\s*\(#\|$\)' "$PATCHES/series" | sed -n "${n}p")
    name=${name:-"commit $n ($(git_src log -1 --format=%s "$commit"))"}
    key="$(git_src rev-parse "$commit^{tree}") $build_key"
    if grep -qxF "$key" "$passed_db"; then
        echo "PASS $name (unchanged since it last passed)"
        passed=$((passed + 1))
        continue
    fi
    log "series check: $name"
    git_src checkout -q --detach "$commit"
    if ! "$TOP/scripts/build.sh" --no-install; then
        echo "FAIL $name: does not build on its own"
        failed=$((failed + 1))
    elif ! result=$("$TOP/scripts/unit-tests.sh"); then
        echo "FAIL $name: meson test: $result"
        failed=$((failed + 1))
    else
        echo "PASS $name ($result)"
        echo "$key" >>"$passed_db"
        passed=$((passed + 1))
    fi
done < <(git_src rev-list --reverse "$UPSTREAM_TAG..HEAD")

restore
trap - EXIT
# Leave the build and the install tree matching the work tree again.
"$TOP/scripts/build.sh" >/dev/null || true

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
