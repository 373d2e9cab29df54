#!/usr/bin/env bash
# Fails when BINARY needs a shared library that is not glibc's (libgcc_s included: the
# server opens the system's unwinder itself, portable/system_unwinder.cpp), or a symbol
# version of a glibc newer than 2.31 (Debian bullseye's): then it would not run
# everywhere the release says it runs.
#   needs-only-glibc.sh BINARY
set -euo pipefail
binary=$1
status=0

# glibc's own libraries (libdl, libpthread, librt, libm are glibc's too).
glibc='^(linux-vdso\.so\.1|/lib64/ld-linux-x86-64\.so\.2|lib(c|m|dl|pthread|rt|resolv|util|anl)\.so\.[0-9]+)$'
while read -r library _; do
  [[ $library =~ $glibc ]] && continue
  echo "$binary needs $library, which is not glibc's"
  status=1
done < <(ldd "$binary" | sed 's/^[[:space:]]*//')

newest=$(objdump -T "$binary" | grep -o 'GLIBC_2\.[0-9]*' | sort -t. -k2 -n -u | tail -n 1)
if ((${newest#GLIBC_2.} > 31)); then
  echo "$binary asks for $newest; it must run with glibc 2.31:"
  objdump -T "$binary" | grep -E 'GLIBC_2\.(3[2-9]|[4-9][0-9])'
  status=1
fi
((status == 0)) && echo "$binary: only glibc's libraries, at most $newest"
exit $status
