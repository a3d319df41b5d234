#!/usr/bin/env bash
# Regenerates what the BPF scan loads from ns_scan.bpf.c: the light
# skeleton's loader program (ns_scan.loader.bin), the data it reads
# (ns_scan.data.bin) and where it leaves the descriptors (ns_scan_layout.rs).
#
#   bpf/regenerate.sh           write them beside this script
#   bpf/regenerate.sh --check   regenerate into a temporary directory and
#                               fail if they differ from those committed
#
# Needs Debian's clang, bpftool and libbpf-dev (bpf_helpers.h and
# skel_internal.h, used here only), and /sys/kernel/btf/vmlinux for vmlinux.h.
# Nothing generated here but the three files is kept.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac
for tool in clang bpftool cc; do
  command -v "$tool" >/dev/null || { echo "$0: $tool not found" >&2; exit 1; }
done
[ -r /usr/include/bpf/skel_internal.h ] || { echo "$0: libbpf-dev not installed" >&2; exit 1; }
strip=$(command -v llvm-strip || ls /usr/bin/llvm-strip-* 2>/dev/null | head -1)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bpftool btf dump file /sys/kernel/btf/vmlinux format c > "$work/vmlinux.h"
# The BTF's line info keeps the source's path: the same wherever the clone is.
(cd "$here" && clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I"$work" \
  -ffile-prefix-map="$here"=. -ffile-prefix-map="$work"=build \
  -c "$here/ns_scan.bpf.c" -o "$work/ns_scan.debug.o")
# DWARF is of no use to the kernel; BTF stays.
"$strip" -g "$work/ns_scan.debug.o" -o "$work/ns_scan.o"
bpftool gen skeleton -L "$work/ns_scan.o" name ns_scan > "$work/ns_scan.lskel.h"
cc -O2 -Wall -I"$work" -o "$work/dump" "$here/dump.c"

out=$here
[ "$check" = 1 ] && out=$work/out && mkdir -p "$out"
"$work/dump" "$out/ns_scan.loader.bin" "$out/ns_scan.data.bin" "$out/ns_scan_layout.rs"

if [ "$check" = 1 ]; then
  status=0
  for f in ns_scan.loader.bin ns_scan.data.bin ns_scan_layout.rs; do
    if ! cmp -s "$out/$f" "$here/$f"; then
      echo "$0: bpf/$f differs from what ns_scan.bpf.c gives: run bpf/regenerate.sh" >&2
      status=1
    fi
  done
  exit "$status"
fi
