# Round trip hosta -> hostb -> hosta: the guest comes back and goes on.
lab_define_guest hosta rt1
migrate_and_check hosta hostb rt1
migrate_and_check hostb hosta rt1
