# Live migration hosta -> hostb, peer-to-peer (hosta's daemon drives it).
lab_define_guest hosta p2p1
migrate_and_check hosta hostb p2p1 --p2p
