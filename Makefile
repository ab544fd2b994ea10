# libvirt-switchover: every command of the project. See README.md.
#
#   make demo     the main job: build if needed, then a live migration between
#                 two lab hosts with the switchover hook, as a timeline
#   make test     every test suite; ends with "N passed, N failed"
#   make bench    the downtime benchmark against unpatched 11.3.0
#                 (BENCHMARKS.md; ROUNDS=N, default 20)
#   make build    import patches/ into work/libvirt if needed, build, install
#   make import   recreate work/libvirt from the tarball + patches/ (FORCE=1
#                 drops work-tree commits that were not exported)
#   make export   write work/libvirt's commits back into patches/
#   make clean    remove work/ (keeps the downloaded tarball and ccache)

.PHONY: all setup build test demo bench import export clean

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

import:
	@scripts/worktree.sh import $(if $(FORCE),--force)

export:
	@scripts/worktree.sh export

clean:
	rm -rf work
