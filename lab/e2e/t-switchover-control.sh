# Switchover hook, control while 'begin' runs (the hook sleeps 60 s):
# virsh domjobinfo answers, virsh domjobabort kills the hook and cancels the
# migration ('abort' runs, the guest goes on on the source). Then, left
# alone, the hook is killed after switchover_hook_timeout (default 30 s)
# with the same outcome, and virsh migrate fails with a hook error.
install_switchover_hook hosta qemu sleep=60
lab_define_guest hosta swc1

begin_running() {
    switchover_records hosta swc1 qemu | awk -F '\t' '$2 == "call" && $7 == "begin" { found = 1 } END { exit !found }'
}
begin_running_or_migrate_done() { begin_running || ! kill -0 "$MIGRATE_PID" 2>/dev/null; }
hook_pids() { lab_pids_with hosta "hooks/qemu swc1 switchover begin"; }
no_hook() { [ -z "$(hook_pids)" ]; }
# 'abort' returned before the guest resumed on hosta.
abort_before_resume() {
    local pre
    pre=$(qemu_event_time hosta "$mark_a" "MIGRATION pre-switchover")
    assert_order \
        "QEMU pre-switchover" "$pre" \
        "abort returned" "$(switchover_time hosta swc1 qemu abort exit)" \
        "guest resumed on the source (QEMU RESUME)" "$(qemu_event_time hosta "$mark_a" RESUME "$pre")"
}

mark_a=$(lab_log_mark hosta)
migrate_start hosta hostb swc1
lab_wait_for 60 "begin to run" begin_running_or_migrate_done || true
begin_running || fail "begin was not called ($(lab_virsh hostb domstate swc1 2>&1 || true) on hostb)"
t0=$(date +%s%N)
info=$(lab_exec hosta timeout 10 virsh -c qemu:///system domjobinfo swc1 2>&1) ||
    fail "domjobinfo failed while begin ran: $info"
note "domjobinfo answered in $((($(date +%s%N) - t0) / 1000000)) ms while begin ran"
grep -E '^Job type: +Unbounded' <<<"$info" >/dev/null || fail "domjobinfo while begin ran: $info"
t0=$(date +%s%N)
out=$(lab_exec hosta timeout 10 virsh -c qemu:///system domjobabort swc1 2>&1) ||
    fail "domjobabort failed while begin ran: $out"
migrate_wait_fails
note "migrate ended $((($(date +%s%N) - t0) / 1000000)) ms after domjobabort"
assert_guest_stays hosta swc1
assert_nothing_left hostb swc1
assert_switchover_calls hosta swc1 qemu "prepare begin abort"
[ -z "$(switchover_status hosta swc1 qemu begin)" ] ||
    fail "begin was not killed: it exited with $(switchover_status hosta swc1 qemu begin)"
lab_wait_for 5 "the hook to go" no_hook || fail "the hook still runs after domjobabort: $(hook_pids)"
abort_before_resume

switchover_records_mark hosta
mark_a=$(lab_log_mark hosta)
migrate_fails hosta hostb swc1
assert_migrate_error "$SWITCHOVER_HOOK_ERROR"
assert_guest_stays hosta swc1
assert_nothing_left hostb swc1
assert_switchover_calls hosta swc1 qemu "prepare begin abort"
[ -z "$(switchover_status hosta swc1 qemu begin)" ] ||
    fail "begin was not killed: it exited with $(switchover_status hosta swc1 qemu begin)"
waited=$(awk -v a="$(switchover_time hosta swc1 qemu begin call)" -v b="$(switchover_time hosta swc1 qemu abort call)" \
    'BEGIN { printf "%d", (b - a) * 1000 }')
note "begin was killed after $waited ms"
if [ "$waited" -lt 29000 ] || [ "$waited" -gt 40000 ]; then
    fail "begin ran $waited ms before abort, expected the 30 s timeout"
fi
lab_wait_for 5 "the hook to go" no_hook || fail "the hook still runs after its timeout: $(hook_pids)"
abort_before_resume
