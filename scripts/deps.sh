#!/usr/bin/env bash
# Install the Debian packages the workspace needs, and only those missing.
# Usage: scripts/deps.sh [build|lab|bench|sanitize|all]   (default: all)
# For the lab (lab, bench, all), also QEMU 10.0 from bookworm-backports,
# downloaded and unpacked under work/ by scripts/fetch-qemu.sh, never
# installed: on the system that adds only the apt sources file
# /etc/apt/sources.list.d/libvirt-switchover-backports.sources.
. "$(dirname "$0")/lib.sh"

build_pkgs=(
    meson ninja-build ccache pkg-config gcc git xz-utils
    libglib2.0-dev libxml2-dev libxml2-utils libgnutls28-dev libtirpc-dev
    libjson-c-dev libnl-3-dev libnl-route-3-dev libreadline-dev
    xsltproc python3-docutils python3-pytest augeas-tools dwarves
    quilt
)
lab_pkgs=(
    qemu-system-x86 qemu-utils busybox-static cpio tini iproute2
    util-linux procps psmisc kmod gcc libc6-dev dmidecode
    nbdkit python3-libnbd
)

# Only the benchmark plots; not part of `all`, which `make test` installs.
bench_pkgs=(python3-matplotlib)

# Only sanitize.sh: clang, whose ASan runtime is linked into each test program
# (gcc's libasan.so cannot come after the tests' LD_PRELOADed mocks), its
# sanitizer runtimes (only recommended by clang), llvm-symbolizer for readable
# stacks, and valgrind. Not part of `all` either.
sanitize_pkgs=(clang libclang-rt-dev llvm valgrind)

qemu10=no
case "${1:-all}" in
    build) want=("${build_pkgs[@]}") ;;
    lab) want=("${lab_pkgs[@]}") qemu10=yes ;;
    bench) want=("${lab_pkgs[@]}" "${bench_pkgs[@]}") qemu10=yes ;;
    sanitize) want=("${build_pkgs[@]}" "${sanitize_pkgs[@]}") ;;
    all) want=("${build_pkgs[@]}" "${lab_pkgs[@]}") qemu10=yes ;;
    *) die "usage: $0 [build|lab|bench|sanitize|all]" ;;
esac

missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
        missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    require_root
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    quiet apt-get update -q || die "apt-get update failed"
    quiet apt-get install -y -q --no-install-recommends "${missing[@]}" ||
        die "apt-get install ${missing[*]} failed"
fi

# After the lab's packages: it unpacks QEMU 10.0 next to their QEMU 7.2
# (once; later runs find it unpacked).
if [ "$qemu10" = yes ]; then
    "$TOP/scripts/fetch-qemu.sh" >/dev/null
fi
