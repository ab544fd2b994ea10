#!/usr/bin/env bash
# The series as the libvirt development list receives it: a cover letter
# (patches/cover-letter.txt) and the patches, numbered [PATCH 00/NN] to
# [PATCH NN/NN] and threaded under the cover letter, as `git format-patch
# --cover-letter --thread=shallow` writes them, ready for
#
#   git send-email --to=devel@lists.libvirt.org work/mbox/*.patch
#
#   mbox.sh [DIR]   write the mail into DIR (default work/mbox), replacing
#                   whatever patches were there
#
# The patches come from work/libvirt, which must hold exactly patches/series
# (it is synced first, as `make build` does).
. "$(dirname "$0")/lib.sh"

out=${1:-$WORK/mbox}
cover=$PATCHES/cover-letter.txt
[ -f "$cover" ] || die "no cover letter: $cover"

"$TOP/scripts/worktree.sh" sync

git_src() { git -C "$SRC" "${GIT_IDENT[@]}" "$@"; }

# The work tree must be the series of patches/, not commits not exported yet.
want=$(grep -v '^\s*\(#\|$\)' "$PATCHES/series" | wc -l)
have=$(git_src rev-list --count "$UPSTREAM_TAG..HEAD")
[ "$want" = "$have" ] ||
    die "work/libvirt has $have commits, patches/series $want: run 'make export' or 'make import' first"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git_src -c core.abbrev=12 format-patch --quiet --no-numbered --zero-commit \
    --no-signature --stat=80 --output-directory "$tmp" "$UPSTREAM_TAG..HEAD" >/dev/null
same=1
(cd "$tmp" && ls -1 -- *.patch) | cmp -s - <(grep -v '^\s*\(#\|$\)' "$PATCHES/series") || same=0
for p in "$tmp"/*.patch; do
    cmp -s "$p" "$PATCHES/$(basename "$p")" || same=0
done
[ "$same" = 1 ] ||
    die "work/libvirt differs from patches/: run 'make export' or 'make import' first"

mkdir -p "$out"
rm -f "$out"/*.patch
# Numbered, threaded under the cover letter; the same abbreviations and
# stat width as patches/.
git_src -c core.abbrev=12 format-patch --quiet --cover-letter --numbered \
    --thread=shallow --no-signature --stat=80 --output-directory "$out" \
    "$UPSTREAM_TAG..HEAD" >/dev/null

# The cover letter: subject and blurb from patches/cover-letter.txt (lines
# starting with '#' are comments), then git's shortlog and diffstat.
letter=$out/0000-cover-letter.patch
# One process: with `| head -n1` grep may die of SIGPIPE (pipefail).
subject=$(awk '!/^#/ { print; exit }' "$cover")
grep -v '^#' "$cover" | tail -n +2 | sed '1{/^$/d}' >"$tmp/blurb"
python3 - "$letter" "$subject" "$tmp/blurb" <<'EOF'
import sys
letter, subject, blurb = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
text = open(letter).read()
assert '*** SUBJECT HERE ***' in text and '*** BLURB HERE ***' in text
text = text.replace('*** SUBJECT HERE ***', subject, 1)
text = text.replace('*** BLURB HERE ***\n', blurb.rstrip('\n') + '\n', 1)
open(letter, 'w').write(text)
EOF
log "wrote $(find "$out" -name '*.patch' | wc -l) mails into ${out#"$TOP"/}: git send-email --to=devel@lists.libvirt.org ${out#"$TOP"/}/*.patch"
