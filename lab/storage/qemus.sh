# The two QEMUs of the storage measurements (measure-source-writes.sh,
# bench-release.sh), run directly, without the lab: 7.2 from the system and
# 10.0 unpacked by scripts/fetch-qemu.sh. Source it after setting ROOT.
# shellcheck shell=bash
PY=/usr/bin/python3          # Debian's, not a pyenv shim
Q72_BIN=/usr/bin/qemu-system-x86_64
Q72_IMG=/usr/bin/qemu-img
Q72_DATA=
Q10_TREE=$ROOT/work/qemu-10.0
Q10_BIN=$Q10_TREE/usr/bin/qemu-system-x86_64
Q10_IMG=$Q10_TREE/usr/bin/qemu-img
Q10_DATA=$Q10_TREE/usr/share/qemu
