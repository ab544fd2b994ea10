#!/usr/bin/env bash
# Checks of the mail `make mbox` writes (scripts/mbox.sh), run by `make test`:
#   - the cover letter's list of patches is patches/series, in order, with
#     the subjects of the patches;
#   - the cover letter names the target version of scripts/lib.sh, which is
#     a release after the base, and has no links;
#   - NEWS.rst and every :since: the patches add say that version;
#   - the mail itself (into a temporary directory): a cover letter and one
#     mail per patch, numbered [PATCH 00/NN]..[PATCH NN/NN], the patches
#     threaded under the cover letter, each with From: and Signed-off-by:.
# Prints PASS/FAIL lines and "N passed, N failed".
. "$(dirname "$0")/lib.sh"

cover=$PATCHES/cover-letter.txt
passed=0 failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }

series=()
while read -r p; do
    case "$p" in ''|'#'*) continue ;; esac
    series+=("$p")
done <"$PATCHES/series"
n=${#series[@]}

# The subject of a mail or patch file, unfolded (RFC 5322), and without
# its [PATCH ...] prefix.
header() {
    sed -n '1,/^$/p' "$1" |
        awk -v h="$2" 'BEGIN { IGNORECASE = 1 }
            /^[^ \t]/ { if (f) exit; if (tolower($0) ~ "^" tolower(h) ": ") { f = 1; v = substr($0, length(h) + 3) } next }
            f { sub(/^[ \t]+/, " "); v = v $0 }
            END { if (f) print v }'
}
raw_subject() {
    header "$1" Subject
}
patch_subject() {
    raw_subject "$1" | sed 's/^\[PATCH[^]]*\] //'
}

list_matches() {
    local want got
    [ -f "$cover" ] || { echo "no $cover" >&2; return 1; }
    want=$(for i in "${!series[@]}"; do
        printf '%02d %s\n' $((i + 1)) "$(patch_subject "$PATCHES/${series[$i]}")"
    done)
    got=$(sed -n '/^Patches$/,$p' "$cover" | sed -n 's/^  \([0-9][0-9]\) /\1 /p')
    if [ "$want" != "$got" ]; then
        diff <(echo "$want") <(echo "$got") | sed 's/^/  series vs cover letter: /' >&2
        return 1
    fi
}

target_stated() {
    grep -q "^Target: libvirt $TARGET_VERSION (applies to v$LIBVIRT_VERSION)\.\$" "$cover" || {
        echo "cover letter does not say 'Target: libvirt $TARGET_VERSION (applies to v$LIBVIRT_VERSION).'" >&2
        return 1
    }
    [ "$(printf '%s\n%s\n' "$LIBVIRT_VERSION" "$TARGET_VERSION" | sort -V | tail -n1)" = "$TARGET_VERSION" ] &&
        [ "$TARGET_VERSION" != "$LIBVIRT_VERSION" ] || {
        echo "TARGET_VERSION $TARGET_VERSION is not after $LIBVIRT_VERSION" >&2
        return 1
    }
}

no_links() {
    ! grep -nE '(https?|ftp)://|www\.' "$cover" >&2
}

# Lines the patches add to NEWS.rst and the docs.
added_docs() {
    local p
    for p in "${series[@]}"; do
        awk '/^diff --git /{f = ($3 ~ /^a\/(NEWS\.rst|docs\/)/)} f && /^\+[^+]/' "$PATCHES/$p"
    done
}

versions_match() {
    local bad=0 v
    # The NEWS section the series adds is the target release.
    v=$(added_docs | sed -n 's/^+v\([0-9][0-9.]*\) (unreleased)$/\1/p')
    if [ "$v" != "$TARGET_VERSION" ]; then
        echo "NEWS.rst sections added: '${v//$'\n'/ }', want v$TARGET_VERSION (unreleased)" >&2
        bad=1
    fi
    while read -r v; do
        [ -z "$v" ] && continue
        if [ "$v" != "$TARGET_VERSION" ]; then
            echo ":since: $v in the patches, want $TARGET_VERSION" >&2
            bad=1
        fi
    done < <(added_docs | grep -o ':since:`Since [0-9.]*' | sed 's/.*Since //')
    added_docs | grep -q ":since:\`Since $TARGET_VERSION" || {
        echo "no :since:\`Since $TARGET_VERSION\` in the patches" >&2
        bad=1
    }
    [ "$bad" = 0 ]
}

mail_ok() {
    local dir files i f subj want_msgid bad=0
    dir=$(mktemp -d)
    if ! "$TOP/scripts/mbox.sh" "$dir" >"$dir.log" 2>&1; then
        cat "$dir.log" >&2
        rm -rf "$dir" "$dir.log"
        return 1
    fi
    rm -f "$dir.log"
    mapfile -t files < <(cd "$dir" && ls -1 -- *.patch)
    if [ "${#files[@]}" -ne $((n + 1)) ]; then
        echo "mbox has ${#files[@]} mails, want $((n + 1))" >&2
        bad=1
    fi
    want_msgid=$(header "$dir/${files[0]}" Message-ID)
    for i in "${!files[@]}"; do
        f=$dir/${files[$i]}
        subj=$(raw_subject "$f")
        case "$subj" in
            "$(printf '[PATCH %02d/%02d] ' "$i" "$n")"*) ;;
            *) echo "${files[$i]}: subject '$subj'" >&2; bad=1 ;;
        esac
        header "$f" From | grep -q '<.*@.*>' || { echo "${files[$i]}: no From:" >&2; bad=1; }
        if [ "$i" -eq 0 ]; then
            grep -q '\*\*\* \(SUBJECT\|BLURB\) HERE \*\*\*' "$f" &&
                { echo "cover letter not filled in" >&2; bad=1; }
        else
            [ -n "$want_msgid" ] && [ "$(header "$f" In-Reply-To)" = "$want_msgid" ] ||
                { echo "${files[$i]}: not threaded under the cover letter" >&2; bad=1; }
            grep -q '^Signed-off-by: ' "$f" ||
                { echo "${files[$i]}: no Signed-off-by:" >&2; bad=1; }
            [ "${subj#*] }" = "$(patch_subject "$PATCHES/${series[$((i - 1))]}")" ] ||
                { echo "${files[$i]}: subject differs from ${series[$((i - 1))]}" >&2; bad=1; }
        fi
    done
    rm -rf "$dir"
    [ "$bad" = 0 ]
}

check "cover letter lists patches/series ($n patches)" list_matches
check "cover letter states target $TARGET_VERSION on $LIBVIRT_VERSION" target_stated
check "cover letter has no links" no_links
check "NEWS.rst and :since: say $TARGET_VERSION" versions_match
check "make mbox: [PATCH 00/$n]..[PATCH $n/$n], threaded, From and Signed-off-by" mail_ok

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
