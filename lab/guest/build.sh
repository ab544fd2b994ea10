#!/usr/bin/env bash
# Build the lab guest into work/guest/ from Debian packages only:
#   vmlinuz      the kernel of Debian's linux-image-amd64 (downloaded, never installed)
#   initrd.cpio  busybox-static, a few virtio modules, /init and guestload
# Skips the work when the outputs exist and no input changed.
. "$(dirname "$0")/../lib.sh"

src_dir=$LAB_DIR/guest
kernel_cache=$CACHE_DIR/guest
# Modules the guest loads (with their dependencies): the virtio block stack,
# found in these directories of the kernel package.
wanted_modules=(virtio_pci virtio_blk)
module_dirs=(drivers/virtio drivers/block)

lab_deps

# The kernel ABI package linux-image-amd64 currently points to.
kernel_package() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'
}
kpkg=$(kernel_package)
if [ -z "$kpkg" ]; then
    quiet apt-get update -q || die "apt-get update failed"
    kpkg=$(kernel_package)
    [ -n "$kpkg" ] || die "cannot resolve linux-image-amd64"
fi
kver=${kpkg#linux-image-}

inputs_hash=$(
    {
        echo "$kpkg"
        cat "$src_dir/build.sh" "$src_dir/init" "$src_dir/guestload.c" /bin/busybox
    } | sha256sum | cut -d' ' -f1
)
if [ -f "$GUEST_DIR/vmlinuz" ] && [ -f "$GUEST_DIR/initrd.cpio" ] &&
    [ "$(cat "$GUEST_DIR/.inputs" 2>/dev/null)" = "$inputs_hash" ]; then
    exit 0
fi
log "building the guest (kernel $kver)"

mkdir -p "$kernel_cache"
deb=$(find "$kernel_cache" -name "${kpkg}_*_amd64.deb" | sort -V | tail -n 1)
if [ -z "$deb" ]; then
    (cd "$kernel_cache" && quiet apt-get download "$kpkg") || die "apt-get download $kpkg failed"
    deb=$(find "$kernel_cache" -name "${kpkg}_*_amd64.deb" | sort -V | tail -n 1)
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Only the kernel image and the module directories, not the whole package.
dpkg-deb --fsys-tarfile "$deb" |
    tar -x -C "$tmp" "./boot/vmlinuz-$kver" "${module_dirs[@]/#/./lib/modules/$kver/kernel/}"

# Load order: every module after its dependencies.
load_order=()
add_module() {
    local name=$1 path dep deps
    [[ " ${load_order[*]} " == *" $name "* ]] && return 0
    path=$(find "$tmp/lib/modules" -name "$name.ko")
    [ -n "$path" ] || die "module $name is not in ${module_dirs[*]} of $deb"
    deps=$(modinfo -F depends "$path")
    for dep in ${deps//,/ }; do
        add_module "$dep"
    done
    load_order+=("$name")
}
for m in "${wanted_modules[@]}"; do
    add_module "$m"
done

root=$tmp/root
mkdir -p "$root"/{bin,dev,proc,sys,lib/modules}
cp /bin/busybox "$root/bin/busybox"
install -m 0755 "$src_dir/init" "$root/init"
for m in "${load_order[@]}"; do
    cp "$(find "$tmp/lib/modules" -name "$m.ko")" "$root/lib/modules/"
done
printf '%s\n' "${load_order[@]}" >"$root/lib/modules/load-order"
gcc -static -O2 -Wall -Wextra -Werror -o "$root/bin/guestload" "$src_dir/guestload.c"
(cd "$root" && find . | sort | cpio -o -H newc --quiet -R 0:0) >"$tmp/initrd.cpio"

mkdir -p "$GUEST_DIR"
mv "$tmp/boot/vmlinuz-$kver" "$GUEST_DIR/vmlinuz"
mv "$tmp/initrd.cpio" "$GUEST_DIR/initrd.cpio"
echo "$inputs_hash" >"$GUEST_DIR/.inputs"
log "guest ready in ${GUEST_DIR#"$TOP"/}"
