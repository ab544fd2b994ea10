# Switchover hook, round trip hosta -> hostb -> hosta, armed both ways: each
# source calls its own hook with the other host as destination.
install_switchover_hook hosta qemu
install_switchover_hook hostb qemu
lab_define_guest hosta swt1
migrate_and_check hosta hostb swt1
migrate_and_check hostb hosta swt1
assert_switchover_calls hosta swt1 qemu "prepare begin end"
assert_switchover_calls hostb swt1 qemu "prepare begin end"
assert_switchover_argv hosta swt1 qemu begin hostb.lab.test
assert_switchover_argv hostb swt1 qemu begin hosta.lab.test
