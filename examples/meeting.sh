#!/usr/bin/env bash
# A board meeting with coi, end to end: a chair and five members, an agenda, declarations before
# the vote, the vote recorded, and an outsider who checks it all from the published files alone.
# Then what the check catches: a late declaration, a recused member recorded as voting, and a
# member's file rolled back.
#
# Run it:  bash examples/meeting.sh            (builds target/release/coi first)
#          COI=path/to/coi bash examples/meeting.sh
#          KEEP=1 bash examples/meeting.sh     (keeps the directory it works in)
#
# Every command is printed before it runs, as `$ coi ...`, followed by its output. The script
# checks each command's exit status and stops with an error if one is not what it should be, so
# it doubles as a test (tests/meeting_example.rs runs it).
set -euo pipefail

if [ -n "${COI:-}" ]; then
  coi=$COI
else
  repo=$(cd "$(dirname "$0")/.." && pwd)
  echo "# building coi (cargo build --locked --release --bin coi)"
  (cd "$repo" && cargo build --locked --release --bin coi)
  coi=$repo/target/release/coi
fi
case $coi in /*) ;; *) coi=$PWD/$coi ;; esac
[ -x "$coi" ] || { echo "meeting.sh: $coi is not an executable" >&2; exit 2; }

work=$(mktemp -d)
cleanup() {
  if [ "${KEEP:-}" = 1 ]; then echo "# kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
cd "$work"
unset COI_HOME COI_PASSPHRASE
# coi folds its human-readable output to the terminal width; keep it to 80 columns.
export COLUMNS=80

# Prints a command as it would be typed, quoted where the shell needs it, folded with `\` to
# stay within 80 columns (an option and its value stay on one line).
show() {
  local line='$' unit word words=()
  for word in "$@"; do
    if [[ ! $word =~ ^[A-Za-z0-9_./=:@,+-]+$ ]]; then
      word="'${word//\'/\'\\\'\'}'"
    fi
    words+=("$word")
  done
  local i=0 n=${#words[@]}
  while [ "$i" -lt "$n" ]; do
    unit=${words[i]}
    if [[ $unit == -* ]] && [ $((i + 1)) -lt "$n" ] && [[ ${words[i + 1]} != -* ]]; then
      i=$((i + 1))
      unit+=" ${words[i]}"
    fi
    i=$((i + 1))
    if [ $((${#line} + 1 + ${#unit})) -gt 77 ] && [ "$line" != '$' ]; then
      printf '%s \\\n' "$line"
      line="   "
    fi
    line+=" $unit"
  done
  printf '%s\n' "$line"
}

# expect STATUS coi ARGS... : shows the command, runs it, prints its output (standard output and
# error as written) and stops unless it exits with STATUS. The output is kept in $out.
out=
expect() {
  local want=$1 rc=0
  shift
  show "$@"
  if [ "$1" = coi ]; then
    "$coi" "${@:2}" >"$work/.out" 2>&1 || rc=$?
  else
    "$@" >"$work/.out" 2>&1 || rc=$?
  fi
  out=$(cat "$work/.out")
  [ -z "$out" ] || printf '%s\n' "$out"
  if [ "$rc" != "$want" ]; then
    echo "meeting.sh: FAILED: exit status $rc, expected $want, from: $*" >&2
    exit 1
  fi
}
run() { expect 0 "$@"; }

# shell LINE: shows and runs a line of shell (a redirection, a copy), which must succeed.
shell() {
  printf '$ %s\n' "$1"
  bash -c "$1" || { echo "meeting.sh: FAILED: $1" >&2; exit 1; }
}

# The entry id a command printed (ids are printed alone on their line).
new_id() { printf '%s\n' "$out" | grep -E '^[0-9a-f]{64}$' | tail -n 1; }

# A member id's fingerprint: its first 16 hex digits in groups of four.
fingerprint() { printf '%s-%s-%s-%s' "${1:0:4}" "${1:4:4}" "${1:8:4}" "${1:12:4}"; }

# Stops unless the last output has a line matching the regular expression.
saw() {
  printf '%s\n' "$out" | grep -Eq -- "$1" || {
    echo "meeting.sh: FAILED: no line matching /$1/ in the output above" >&2
    exit 1
  }
}

say() {
  echo
  printf '# %s\n' "$@"
}

meeting=board-2026-12
item=$meeting/item-2

say "Everyone has a home: a directory with a signing key and a store of" \
  "entries. --no-passphrase keeps the key unencrypted, for this demo only." \
  "init prints the new member's id; votes name members by fingerprint."
run coi --home chair init --name "Carol Chair" --capacity Chair --no-passphrase
chair=$(fingerprint "$(new_id)")
for who in Ada Bob Cleo Dan Eve; do
  home=$(printf '%s' "$who" | tr '[:upper:]' '[:lower:]')
  run coi --home "$home" init --name "$who" --capacity Trustee --no-passphrase
  printf -v "$home" '%s' "$(fingerprint "$(new_id)")"
done

say "The chair publishes the agenda. Item 2 concerns Acme Corp: standing" \
  "declarations with that counterparty will count as declarations on it."
run coi --home chair agenda --meeting "$meeting" --title "December board" \
  --item "$meeting/item-1=Minutes of November" \
  --item "$item=Hosting contract" --concerns "$item=Acme Corp"
run coi --home chair export -o chair.ledger

say "Each member imports the chair's file and asks what is expected of them."
for home in ada bob cleo dan eve; do
  run coi --home "$home" import chair.ledger
done
run coi --home ada prompt

say "Ada consults for Acme: a standing declaration (every matter touching" \
  "Acme, whatever its case), proposing to abstain."
run coi --home ada declare --standing --category financial \
  --between personal-professional --counterparty "ACME Corp" \
  --relationship consulting --value "1,001-15,000 USD" --mitigation abstain
ada_declaration=$(new_id)

say "Bob sits on Acme's board: a declaration on item 2, proposing to recuse."
run coi --home bob declare --matter "$item" --category material \
  --between professional-professional --counterparty "Acme Corp" \
  --relationship fiduciary --mitigation recuse

say "Cleo has nothing to declare, and says so. Dan and Eve say nothing."
run coi --home cleo declare --none --matter "$item"
run coi --home ada prompt --meeting "$meeting"

say "Everyone publishes their own chain, as a file (a web page would do)."
for home in ada bob cleo dan eve; do
  run coi --home "$home" export -o "$home.ledger"
done

say "The chair imports every member's file first: the vote commits to the" \
  "chain heads the chair's store holds."
run coi --home chair import ada.ledger bob.ledger cleo.ledger dan.ledger eve.ledger

say "The board determines that Ada may speak on item 2 but not vote."
run coi --home chair determine "${ada_declaration:0:16}" --outcome abstain \
  --matter "$item" --note "consults for Acme: may speak, not vote"

say "Before the vote, the chair reads the register for the item (exit 0)."
run coi --home chair check --matter "$item"

say "A copy of the chair's home as it is now, for a later what-if."
shell 'cp -a chair chair-what-if'

say "The vote, as it happened: Ada abstains, Bob recuses, the rest vote."
run coi --home chair vote --matter "$item" \
  --yes "$chair" --yes "$cleo" --yes "$eve" --no "$dan" \
  --abstain "$ada" --recused "$bob" \
  --result carried --motion "Award the hosting contract to Acme Corp"
run coi --home chair export -o chair.ledger

say "An outsider, with no home and no key, checks the published files:" \
  "who had declared what by the heads the vote committed to (exit 0)."
files=(chair.ledger ada.ledger bob.ledger cleo.ledger dan.ledger eve.ledger)
run coi check --matter "$item" --ledger "${files[@]}"
saw '^  conflict .*"Ada"'
saw '^  conflict .*"Bob"'
saw '^  no-conflict .*"Cleo"'
saw '^  silent .*"Dan"'
saw '^  silent .*"Eve"'
saw '^nothing flagged'

say "After the vote, Eve declares on item 2 and republishes her file."
run coi --home eve declare --matter "$item" --category gift \
  --between personal-professional --counterparty "Acme Corp" \
  --relationship gift --nature "conference ticket" --mitigation disclose-only
run coi --home eve export -o eve.ledger

say "The outsider checks again: Eve's declaration is not under the head the" \
  "vote committed to, so it is late, whatever her clock said (exit 1)."
expect 1 coi check --matter "$item" --ledger "${files[@]}"
saw '^  late .*"Eve"'
saw "^FLAG late: $eve declared on $item only after"
saw '^flagged: late \(1\)$'

say "What if the chair had recorded Bob, who proposed to recuse, as voting" \
  "yes? The copy of the chair's home records that vote instead (exit 1;" \
  "Eve is late here too)."
run coi --home chair-what-if vote --matter "$item" \
  --yes "$chair" --yes "$cleo" --yes "$eve" --no "$dan" \
  --abstain "$ada" --yes "$bob" \
  --result carried --motion "Award the hosting contract to Acme Corp"
run coi --home chair-what-if export -o chair-what-if.ledger
expect 1 coi check --matter "$item" --ledger chair-what-if.ledger \
  ada.ledger bob.ledger cleo.ledger dan.ledger eve.ledger
saw "^FLAG voted-despite-recuse: $bob voted yes"

say "What if Bob's published file were rolled back to before his" \
  "declaration? The vote committed to a longer chain (exit 1)."
shell 'head -n 1 bob.ledger > bob-rolled.ledger'
expect 1 coi check --matter "$item" --ledger chair.ledger ada.ledger \
  bob-rolled.ledger cleo.ledger dan.ledger eve.ledger
saw "^FLAG rollback: the vote committed to $bob.s chain up to seq 2"

say "The conflicts-of-interest section of the minutes, from the files" \
  "(exit 1, as check: Eve's late declaration is flagged)."
expect 1 coi minutes --meeting "$meeting" --ledger "${files[@]}"
saw '^Declarations of interest: '

say "The outsider publishes the register from the same files: a static site" \
  "(no script, nothing loaded from elsewhere) and tables for journalists."
run coi register --html site --csv tables --title "December board" \
  --ledger "${files[@]}"
saw '^coi: wrote [0-9]+ pages \(largest [0-9]+ KiB\) into site'
saw '^coi: wrote interests \(3 rows\), votes \(6 rows\)'
run grep -c 'conference ticket' site/changes.html
saw '^1$'

say "Or the outsider follows the published files (URLs or files) and syncs" \
  "them into a home of their own; later syncs fetch only what is new."
for f in "${files[@]}"; do run coi --home outsider follow "$f"; done
run coi --home outsider sync
saw '^eve: 2 new entries'
run coi --home outsider sync
saw '^bob: nothing new$'

say "Bob's published file is rolled back: the next sync reports it, keeps the" \
  "file as evidence and imports nothing (exit 1)."
shell 'cp bob-rolled.ledger bob.ledger'
expect 1 coi --home outsider sync
saw '^bob: ROLLBACK: the publication shrank'

say "Done: every command exited as expected."
