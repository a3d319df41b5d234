#!/usr/bin/env bash
# Containers' cost, on the scene of the issue: N sleeping processes plus C
# running Docker containers (defaults 10000 and 50), as root.
#
#   - `docker inspect $(docker ps -q)`, what a user runs by hand today (two
#     calls of the Docker CLI), next to the core's listing of the running
#     containers from the engines' state with each init's namespaces;
#   - the per-process resolution over every process, against the readlink
#     of each process's mount namespace that a discovery scan does anyway.
#
# Medians of 5. Ends only the processes and containers it started.
set -euo pipefail
cd "$(dirname "$0")/.."
PROCESSES=${1:-10000}
CONTAINERS=${2:-50}
DOCKER=/usr/bin/docker

bash .ci/docker-testbed.sh up >/dev/null
cargo build -q --release -p linuxns-rel --example list_containers
LIST=target/release/examples/list_containers

tag="lnsrel-bench-$$"
sleepers=()
cleanup() {
  ((${#sleepers[@]})) && kill "${sleepers[@]}" 2>/dev/null || true
  ids=$($DOCKER ps -aq --filter "label=$tag")
  [[ -n $ids ]] && $DOCKER rm -f $ids >/dev/null || true
}
trap cleanup EXIT

for _ in $(seq "$CONTAINERS"); do
  $DOCKER run -d --label "$tag" --label com.docker.compose.project=bench \
    linuxns-rel-busybox:test sleep 3600 >/dev/null
done
for _ in $(seq "$PROCESSES"); do
  sleep 3600 &
  sleepers+=($!)
done

median_ms() {
  local samples=() start end
  for _ in 1 2 3 4 5; do
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    samples+=($(((end - start) / 1000)))
  done
  printf '%s\n' "${samples[@]}" | sort -n | sed -n 3p | awk '{printf "%.1f", $1 / 1000}'
}

inspect() { $DOCKER inspect $($DOCKER ps -q); }
running=$($DOCKER ps -q | wc -l)
echo "$(grep -c '' <(ls /proc | grep -E '^[0-9]+$')) processes, $running running Docker containers; median of 5; load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-52s %8s\n' "" "ms"
printf '%-52s %8s\n' 'docker inspect $(docker ps -q)' "$(median_ms inspect)"
printf '%-52s %8s\n' "list_containers (whole process: list + namespaces)" "$(median_ms "$LIST")"
"$LIST" --time 5 | tr -d '{}' | tr ',' '\n' | sed 's/"//g; s/:/ /' | awk '{printf "  %-50s %8s\n", $1, $2 (NF > 2 ? " " $3 : "")}'
