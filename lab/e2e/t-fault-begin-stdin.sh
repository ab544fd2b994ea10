# Switchover hook, 'begin' closes its stdin without reading the domain XML,
# and exits 0: that is no failure, the migration goes on. The guest's
# description makes its XML larger than a pipe holds (64 KiB), so that
# libvirt is still writing it when the hook closes the pipe (EPIPE).
#
# Shown to catch: EPIPE on the domain XML taken for a failure (mutant
# stdin-epipe): FAIL "migrate fsi1 ... failed: ... unable to write to child
# input: Broken pipe".
lab_define_guest hosta fsi1
lab_virsh hosta desc fsi1 --live --new-desc "$(printf '%0100000d' 0)" >/dev/null
install_switchover_hook hosta qemu stdin=close
mark=$(lab_log_mark hosta)
migrate_and_check hosta hostb fsi1
assert_switchover_calls hosta fsi1 qemu "prepare begin end"
[ "$(switchover_status hosta fsi1 qemu begin)" = 0 ] ||
    fail "begin of fsi1 did not exit 0 (status '$(switchover_status hosta fsi1 qemu begin)')"

# The scenario did what it means to: the XML did not fit in the pipe, and
# libvirt met the closed pipe.
xml=$(switchover_records hosta fsi1 qemu | awk -F '\t' '$2 == "call" && $7 == "prepare" { print $9 }')
size=$(stat -c %s "$(lab_log_dir hosta)/$SWITCHOVER_RECORDS/$xml")
note "domain XML: $size bytes"
[ "$size" -gt 65536 ] || fail "the domain XML of fsi1 has only $size bytes, it fits in a pipe"
tail -c "+$((mark + 1))" "$(lab_daemon_log hosta)" | grep -F 'child closed stdin early' >/dev/null ||
    fail "hosta's log does not show libvirt writing into begin's closed stdin"
