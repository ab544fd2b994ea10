#!/usr/bin/env bash
# Install the Debian packages the workspace needs, and only those missing.
# Usage: scripts/deps.sh [build|lab|bench|sanitize|all]   (default: all)
. "$(dirname "$0")/lib.sh"

build_pkgs=(
    meson ninja-build ccache pkg-config gcc git xz-utils
    libglib2.0-dev libxml2-dev libxml2-utils libgnutls28-dev libtirpc-dev
    libjson-c-dev libnl-3-dev libnl-route-3-dev libreadline-dev
    xsltproc python3-docutils python3-pytest augeas-tools dwarves
)
lab_pkgs=(
    qemu-system-x86 qemu-utils busybox-static cpio tini iproute2
    util-linux procps psmisc kmod gcc libc6-dev dmidecode
)

# Only the benchmark plots; not part of `all`, which `make test` installs.
bench_pkgs=(python3-matplotlib)

# Only sanitize.sh: clang, whose ASan runtime is linked into each test program
# (gcc's libasan.so cannot come after the tests' LD_PRELOADed mocks), its
# sanitizer runtimes (only recommended by clang), llvm-symbolizer for readable
# stacks, and valgrind. Not part of `all` either.
sanitize_pkgs=(clang libclang-rt-dev llvm valgrind)

case "${1:-all}" in
    build) want=("${build_pkgs[@]}") ;;
    lab) want=("${lab_pkgs[@]}") ;;
    bench) want=("${lab_pkgs[@]}" "${bench_pkgs[@]}") ;;
    sanitize) want=("${build_pkgs[@]}" "${sanitize_pkgs[@]}") ;;
    all) want=("${build_pkgs[@]}" "${lab_pkgs[@]}") ;;
    *) die "usage: $0 [build|lab|bench|sanitize|all]" ;;
esac

missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
        missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

require_root
log "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
quiet apt-get update -q || die "apt-get update failed"
quiet apt-get install -y -q --no-install-recommends "${missing[@]}" ||
    die "apt-get install ${missing[*]} failed"
