# Each host runs the QEMU the lab was brought up with (LAB_QEMU,
# LAB_QEMU_hosta, LAB_QEMU_hostb; lab_mount_qemu): its daemon reports that
# version (virsh version, capabilities cache, what "pc" stands for), a guest
# started there runs in it (QMP query-version), and so do the host's
# qemu-img and qemu-storage-daemon. The machine's own QEMU, outside the
# hosts' mount namespaces, stays the system's 7.2.
system=$(/usr/bin/qemu-system-x86_64 --version | head -n 1)
[[ "$system" == "QEMU emulator version 7.2."* ]] ||
    fail "the machine's own QEMU is '$system', not the system's 7.2"
for host in "${LAB_HOSTS[@]}"; do
    version=$(lab_qemu "$host")
    assert_host_qemu "$host" "$version"
    for tool in qemu-img qemu-storage-daemon; do
        got=$(lab_exec "$host" "$tool" --version | head -n 1)
        [[ "$got" == *" version $version."* ]] || fail "$tool on $host is '$got', expected $version.x"
    done
    lab_define_guest "$host" "qv-$host"
    assert_guest_qemu "$host" "qv-$host" "$version"
    assert_guest_machine "$host" "qv-$host" "pc-i440fx-$version"
    lab_remove_guest "$host" "qv-$host"
done
