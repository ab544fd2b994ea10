# The source's libvirtd is SIGKILLed after the hook's 'begin' returned, in a
# peer-to-peer migration (the source daemon drives it), then started again:
# 0, 30, 100, 250 and 400 ms after libvirtd reaped 'begin', as soon as the
# source's QEMU reports the migration 'completed' (the source is about to
# ask the destination's Finish), and as soon as the destination's QEMU
# resumed the guest (the source waits for Finish's answer: phase
# perform3_done), a fresh guest each time. Once the daemon is back, the
# guarantees hold (assert_switchover_outcome): the guest runs on exactly one
# host; on the destination, 'prepare begin end' and no paused copy left on
# the source; on the source, 'prepare begin abort', 'abort' before the
# guest resumed (or after, where QEMU resumed by itself while the daemon was
# dead). Each trial notes where the kill hit and what came of it.
#
# Shown to catch: on the pre-fix series (patches/ at 83e5b7b, i.e.
# work/libvirt b2e4f77, built in a clean clone),
# killed in Perform while QEMU still sent the device state (0, 30 and
# 100 ms here; 0 ms sometimes still found QEMU at pre-switchover and passed)
# QEMU failed the migration and resumed the guest while the daemon was
# dead, and the restarted daemon, seeing 'failed', never called 'abort':
# FAIL "switchover calls of qemu on hosta for fsa0: 'prepare begin',
# expected 'prepare begin abort'"; killed in perform3_done (at the
# destination's RESUME) nothing recovered the migration: FAIL "S1:
# fsa-dst-resumed is 'paused (migrating)' on hosta and 'running (migrated)'
# on hostb (calls: 'prepare begin')". 250 and 400 ms (confirm3, after
# 'end') and 'completed' (still perform3) passed.
for delay in 0 30 100 250 400; do
    after_begin_trial hosta hostb "fsa$delay" --p2p "lab_restart_host hosta KILL" \
        after="$(fault_kill_daemon hosta)" after_ms="$delay"
done
after_begin_trial hosta hostb fsa-completed --p2p "lab_restart_host hosta KILL" \
    after="$(fault_kill_daemon hosta)" after_event="hosta:$(qemu_event_text MIGRATION completed)"
after_begin_trial hosta hostb fsa-dst-resumed --p2p "lab_restart_host hosta KILL" \
    after="$(fault_kill_daemon hosta)" after_event="hostb:$(qemu_event_text RESUME)"
note_trial_outcomes
