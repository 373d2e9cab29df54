#!/usr/bin/env bash
# Prints the Debian mirror this machine's apt already uses (its first "debian"
# archive, not the security one), for scripts that fetch from Debian without
# touching the machine's own apt sources: fetch-httplib.sh and bullseye-check.sh.
set -euo pipefail

mirror=
shopt -s nullglob
for file in /etc/apt/sources.list.d/*.sources; do # deb822: "URIs: http://... "
  mirror=$(awk '/^URIs:/ && $2 ~ /debian/ && $2 !~ /security/ {print $2; exit}' "$file")
  [[ -n $mirror ]] && break
done
if [[ -z $mirror ]]; then # one-line format: "deb [options] URI suite components"
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '$1 == "deb" { for (i = 2; i <= NF; i++)
                         if ($i ~ /^[a-z]+:\/\/.*debian/ && $i !~ /security/) { print $i; exit } }' || true)
fi
[[ -n $mirror ]] || { echo "debian-mirror: no Debian mirror in /etc/apt" >&2; exit 1; }
echo "${mirror%/}"
