# Switchover hook, a domain name with spaces and shell metacharacters
# reaches the hook verbatim, as its first argument and in the XML on stdin.
# shellcheck disable=SC2016 # the $ is part of the name
name='sw '\''quote'\'' $x;&|'
install_switchover_hook hosta qemu
lab_define_guest hosta "$name"
migrate_and_check hosta hostb "$name"
assert_switchover_calls hosta "$name" qemu "prepare begin end"
for subop in prepare begin end; do
    assert_switchover_argv hosta "$name" qemu "$subop" hostb.lab.test
    assert_switchover_stdin hosta "$name" qemu "$subop"
done
