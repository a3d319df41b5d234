#!/bin/sh
# Draws docs/graph.svg: a small scene of namespaces, made
# inside a fresh PID namespace (with its own /proc) so that the picture shows
# only the scene, then removed. Run as root from the repository: sh docs/demo.sh
set -eu
cd "$(dirname "$0")/.."
if [ "${GRAPHNS_DEMO_INSIDE:-}" != 1 ]; then
  exec env GRAPHNS_DEMO_INSIDE=1 unshare --pid --fork --mount-proc sh "$0"
fi
# Everything started here dies with this PID namespace when the script ends.
settle() { sleep 0.3; }
unshare -Ur sleep infinity & top=$!                                  # a user namespace
settle
nsenter --preserve-credentials -U -t "$top" unshare -Ur sleep infinity &   # its child
unshare -Ur unshare -Ur sleep infinity &                            # a hidden parent
unshare -Ur --pid --fork unshare --pid --fork sleep infinity &      # two PID namespaces
# 24 alike PID namespaces side by side in one user namespace: drawn as one group
unshare -Ur sh -c 'for i in $(seq 24); do unshare --pid --fork sleep infinity & done; wait' &
unshare -Ur sleep infinity & gone=$!
settle
sh -c "exec 3</proc/$gone/ns/user; exec sleep infinity" &           # kept by fd 3 only
settle
kill "$gone"
touch /run/graphns-demo-pid
unshare --pid=/run/graphns-demo-pid --fork true                     # kept by a bind mount only
settle
node bin/graphns -o docs/graph.svg
umount /run/graphns-demo-pid
rm -f /run/graphns-demo-pid
