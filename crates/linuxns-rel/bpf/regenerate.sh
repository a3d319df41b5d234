#!/usr/bin/env bash
# Regenerates what the BPF scan loads from its two objects, ns_tasks.bpf.c
# and ns_files.bpf.c (both include ns_scan.bpf.h): for each NAME, the light
# skeleton's loader program (NAME.loader.bin), the data it reads
# (NAME.data.bin) and where it leaves the descriptors (NAME_layout.rs).
#
#   bpf/regenerate.sh           write them beside this script
#   bpf/regenerate.sh --check   regenerate into a temporary directory and
#                               fail if they differ from those committed
#
# Needs Debian's clang, bpftool and libbpf-dev (bpf_helpers.h and
# skel_internal.h, used here only), and /sys/kernel/btf/vmlinux for vmlinux.h.
# Nothing generated here but those files is kept.
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
out=$here
[ "$check" = 1 ] && out=$work/out && mkdir -p "$out"
objects=(ns_tasks ns_files)
for name in "${objects[@]}"; do
  # The BTF's line info keeps the source's path: the same wherever the clone is.
  (cd "$here" && clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I"$work" \
    -ffile-prefix-map="$here"=. -ffile-prefix-map="$work"=build \
    -c "$here/$name.bpf.c" -o "$work/$name.debug.o")
  # DWARF is of no use to the kernel; BTF stays.
  "$strip" -g "$work/$name.debug.o" -o "$work/$name.o"
  bpftool gen skeleton -L "$work/$name.o" name "$name" > "$work/$name.lskel.h"
  cc -O2 -Wall -I"$work" -DSKEL="$name" -o "$work/dump-$name" "$here/dump.c"
  "$work/dump-$name" "$out/$name.loader.bin" "$out/$name.data.bin" "$out/${name}_layout.rs"
done

if [ "$check" = 1 ]; then
  status=0
  for name in "${objects[@]}"; do
    for f in "$name.loader.bin" "$name.data.bin" "${name}_layout.rs"; do
      if ! cmp -s "$out/$f" "$here/$f"; then
        echo "$0: bpf/$f differs from what $name.bpf.c gives: run bpf/regenerate.sh" >&2
        status=1
      fi
    done
  done
  exit "$status"
fi
