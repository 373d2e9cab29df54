#!/usr/bin/env bash
# Runs an apt command (apt-get, apt-cache) on one Debian suite of the mirror this
# machine's apt already uses, with a private apt state: its own sources list, package
# lists and cache under FLEXILIB_CACHE_DIR (default ~/.cache/flexilib/apt/SUITE), so
# the machine's own apt configuration and lists are never touched. The suite's lists
# are downloaded on first use (apt checks them against the mirror's signed Release).
#   private-apt.sh SUITE apt-get --download-only source cpp-httplib=0.11.4+ds-1+deb12u1
set -euo pipefail

if (($# < 2)); then
  echo "usage: $0 SUITE COMMAND [ARGUMENTS...]" >&2
  exit 2
fi
suite=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
cache=${FLEXILIB_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/flexilib}
state=$cache/apt/$suite

options=(-o Dir::Etc::SourceList="$state/sources.list" -o Dir::Etc::SourceParts="$state/empty"
  -o Dir::Etc::Preferences="$state/empty/preferences" -o Dir::Etc::PreferencesParts="$state/empty"
  -o Dir::State::Lists="$state/lists" -o Dir::State::Status="$state/empty/status"
  -o Dir::Cache="$state/cache" -o APT::Sandbox::User=root -o APT::Architecture=amd64)

mkdir -p "$state"
exec {lock}>"$state/.lock"
flock "$lock" # builds configuring at once share the state

update() {
  local mirror keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  mirror=$("$here/debian-mirror.sh")
  mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/empty"
  touch "$state/empty/status"
  printf 'deb [signed-by=%s] %s %s main\ndeb-src [signed-by=%s] %s %s main\n' \
    "$keyring" "$mirror" "$suite" "$keyring" "$mirror" "$suite" >"$state/sources.list"
  echo "private-apt: package lists of $suite from $mirror" >&2
  apt-get "${options[@]}" -qq update
  touch "$state/updated"
}

[[ -f $state/updated ]] || update
# Lists kept from an earlier run may name files the mirror no longer has: on failure,
# the lists are brought up to date and the command tried once more.
"$1" "${options[@]}" "${@:2}" || { update && "$1" "${options[@]}" "${@:2}"; }
