#!/usr/bin/env bash
# The main job. Until the lab exists: show what was built.
. "$(dirname "$0")/lib.sh"
bin=$INSTALL_ROOT$PREFIX
for b in sbin/libvirtd sbin/virtqemud sbin/virtproxyd sbin/virtlogd bin/virsh; do
    printf '%-16s %s\n' "$(basename "$b")" "$(LD_LIBRARY_PATH=$bin/lib/x86_64-linux-gnu "$bin/$b" --version | head -n1)"
done
