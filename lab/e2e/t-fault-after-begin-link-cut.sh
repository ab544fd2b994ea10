# The link between the hosts goes down after the hook's 'begin' returned on
# the source, in a peer-to-peer migration, with keepalive 1 s x 2 on the
# source daemon's connection to the destination and on the destination's
# side: right after the source's libvirtd reaped 'begin' (QEMU sends the
# rest of the guest's state into the dead link), and as soon as the
# destination's QEMU resumed the guest (its daemon stopped meanwhile, so
# that the answer of the destination's Finish is lost), a fresh guest each
# time. The link comes back once the
# source's keepalive gave its connection to the destination up (an outage
# of 2-3 s; the source may then ask the destination how the migration
# ended). QEMU 7.2 blocks in a write into a dead link, its monitor
# unresponsive (migrate_cancel unanswered), until TCP gives up: about 15
# minutes by default, so the source host's TCP gives up after 3
# retransmissions here (about 3 s; then QEMU fails the migration and
# resumes the guest by itself). Then the guarantees hold
# (assert_switchover_outcome): the guest runs on exactly one host; on the
# destination, 'prepare begin end' on the source; on the source, 'prepare
# begin abort' with 'abort' before libvirt resumed the guest, and the
# destination never ran it. Each trial notes what came of it.
#
# Shown to catch: on the pre-fix series (patches/ at 83e5b7b, i.e.
# work/libvirt b2e4f77, built in a clean clone),
# with the link cut at the destination's RESUME the source took the lost
# Finish answer for a failure and resumed the guest, which also ran on the
# destination: FAIL "S1: flb-dst-resumed is 'running (migration canceled)'
# on hosta and 'running (migrated)' on hostb (calls: 'prepare begin
# abort')". The cut right after 'begin' passed there (QEMU failed the
# migration and resumed the guest by itself, then 'abort'). Without the
# lower tcp_retries2 that trial hung: "timed out after 400s", QEMU blocked
# in the write, migrate_cancel unanswered, the guest paused on the source.
lab_set_config hosta qemu.conf 'keepalive_interval = 1' 'keepalive_count = 2'
lab_set_config hostb libvirtd.conf 'keepalive_interval = 1' 'keepalive_count = 2'
lab_set_tcp_retries hosta 3

keepalive_gave_up() {
    tail -c "+$(($2 + 1))" "$(lab_daemon_log "$1")" | grep -F "connection closed due to keepalive timeout" >/dev/null
}

# The fault's recovery: the link back once hosta gave hostb up.
link_up_after_keepalive() {
    local mark t0=$EPOCHREALTIME
    mark=$(lab_log_mark hosta)
    lab_wait_for 30 "hosta's keepalive to give hostb up" keepalive_gave_up hosta "$mark" ||
        note "hosta's keepalive did not give hostb up within 30 s"
    link_up hosta
    note "link down for $(ms_between "$t0" "$EPOCHREALTIME") ms after the fault's record"
}

after_begin_trial hosta hostb flb0 --p2p link_up_after_keepalive after="$(fault_link_down)"
after_begin_trial hosta hostb flb-dst-resumed --p2p link_up_after_keepalive \
    after="$(fault_link_down hostb)" after_event="hostb:$(qemu_event_text RESUME)"
note_trial_outcomes
