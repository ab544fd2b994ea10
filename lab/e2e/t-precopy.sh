# Live migration hosta -> hostb, client-managed (virsh talks to both daemons).
lab_define_guest hosta pre1
migrate_and_check hosta hostb pre1
