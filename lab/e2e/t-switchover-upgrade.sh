# lab-qemu: hosta=7.2 hostb=10.0
# Switchover hook, armed, pre-copy, across a QEMU upgrade (the line above
# makes run.sh bring the lab up with hosta on QEMU 7.2, hostb on 10.0): a
# guest started on hosta migrates live to hostb and back, each leg with every
# assertion of the armed pre-copy scenario (migrate_armed_and_check; the hook
# sleeps 300 ms in 'begin' and probes). Its machine type is pinned to
# pc-i440fx-7.2, which both QEMUs know, and stays so on hostb. Then the same
# for a guest started on hostb, pinned too: QEMU 7.2 does not know
# pc-i440fx-10.0, what "pc" means on 10.0, so only a pinned guest can go back.
assert_host_qemu hosta 7.2
assert_host_qemu hostb 10.0
install_switchover_hook hosta qemu sleep=0.3 probe=yes
install_switchover_hook hostb qemu sleep=0.3 probe=yes
# shellcheck disable=SC2034 # read by lab_define_guest (lab_domain_xml)
LAB_GUEST_MACHINE=pc-i440fx-7.2

lab_define_guest hosta swu1
assert_guest_qemu hosta swu1 7.2
migrate_armed_and_check hosta hostb swu1
assert_guest_qemu hostb swu1 10.0
assert_guest_machine hostb swu1 pc-i440fx-7.2
migrate_armed_and_check hostb hosta swu1
assert_guest_qemu hosta swu1 7.2
lab_remove_guest hosta swu1

lab_define_guest hostb swu2
assert_guest_qemu hostb swu2 10.0
assert_guest_machine hostb swu2 pc-i440fx-7.2
migrate_armed_and_check hostb hosta swu2
assert_guest_qemu hosta swu2 7.2
migrate_armed_and_check hosta hostb swu2
assert_guest_qemu hostb swu2 10.0
