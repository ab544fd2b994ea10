# libvirt-switchover: every command of the project. See README.md.
#
#   make demo     the main job: build if needed, then a live migration between
#                 two lab hosts with the switchover hook, as a timeline
#   make test     every test suite; ends with "N passed, N failed"
#   make bench    the downtime benchmark against unpatched 11.3.0
#                 (BENCHMARKS.md; ROUNDS=N, default 20)
#   make soak     ROUNDS (default 100) armed round trips of one guest between
#                 the lab hosts: failures, the daemons' fds, threads and RSS,
#                 processes left (work/soak/); slow, so not part of `make test`
#   make sanitize libvirt's test suite under ASan+UBSan and qemuhooktest under
#                 valgrind, in a copy of the work tree (REV=upstream-11.3.0
#                 for the pristine tarball); slow, so not part of `make test`
#   make reliability  the fault scenarios TRIALS times (default 3), the soak
#                 and the sanitizers, written up in RELIABILITY.md (~40 min)
#   make deb      Debian 13 (trixie) packages: Debian's 11.3.0-3+deb13u3
#                 packaging + the series, built with Debian's test suite in a
#                 trixie root made by mmdebstrap (work/deb/; 5-15 min)
#   make deb-test install work/deb's packages in a trixie root with trixie's
#                 QEMU 10.0 and check them (qemu.conf, augeas lens, daemons)
#   make build    import patches/ into work/libvirt if needed, build, install
#   make import   recreate work/libvirt from the tarball + patches/ (FORCE=1
#                 drops work-tree commits that were not exported)
#   make export   write work/libvirt's commits back into patches/
#   make mbox     the series as the libvirt list receives it, into work/mbox/:
#                 cover letter (patches/cover-letter.txt) and numbered,
#                 threaded patches for git send-email
#   make clean    remove work/ (keeps the downloaded tarball and ccache)

.PHONY: all setup build test demo bench soak sanitize reliability deb deb-test import export mbox clean

all: build

setup build:
	@scripts/deps.sh all
	@scripts/worktree.sh sync
	@scripts/build.sh

test:
	@scripts/test.sh

demo: build
	@lab/demo.sh

bench: build
	@scripts/build.sh --upstream
	@lab/bench/run.sh

soak: build
	@lab/soak.sh

reliability: build
	@scripts/build.sh --upstream
	@scripts/deps.sh sanitize
	@lab/reliability.sh

sanitize:
	@scripts/deps.sh sanitize
	@scripts/worktree.sh sync
	@scripts/sanitize.sh $(REV)

deb:
	@scripts/deb.sh

deb-test:
	@scripts/deb-test.sh

import:
	@scripts/worktree.sh import $(if $(FORCE),--force)

export:
	@scripts/worktree.sh export

mbox:
	@scripts/mbox.sh

clean:
	rm -rf work
