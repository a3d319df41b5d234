#!/usr/bin/env bash
# The container engines the tests run against, from Debian's packages:
#
#   docker-testbed.sh up     install docker.io, busybox-static and podman when
#                            missing; start dockerd and a standalone containerd
#                            when they do not answer; make the local image
#                            linuxns-rel-busybox:test (no registry is reachable)
#                            in Docker, in containerd's k8s.io namespace and in
#                            podman. Prints nothing on success but the state
#                            folder; fails with a reason on stderr. Writes
#                            $STATE/containers.conf, with which podman runs
#                            here (CONTAINERS_CONF=$STATE/containers.conf):
#                            root lacks CAP_SYS_RESOURCE, and podman's own
#                            default asks for the highest open-file and
#                            process limits, which runc then cannot set.
#   docker-testbed.sh up-remap
#                            also a second dockerd with --userns-remap=default
#                            on a data root of its own ($STATE/remap/root,
#                            socket $STATE/remap/docker.sock), holding the
#                            same image. Prints the data root.
#   docker-testbed.sh down   stop the daemons that `up` and `up-remap` started
#                            (their pids are kept in the state folder), and
#                            only those.
#
# As root only. Daemons that were running before are used and left alone.
set -euo pipefail

STATE=${LINUXNS_REL_TESTBED_STATE:-/run/linuxns-rel-testbed}
IMAGE=linuxns-rel-busybox:test
CONTAINERD_SOCK=/run/containerd/containerd.sock
# The CLI that comes with Debian's docker.io, whatever else is on PATH.
DOCKER=/usr/bin/docker

fail() { echo "docker-testbed: $*" >&2; exit 1; }

# Whether the pid in a pid file is alive and runs the named program.
ours_alive() {
  local pidfile=$1 name=$2 pid
  [[ -f $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "^[^ ]*$name"
}

# Starts a daemon in the background, keeps its pid, and waits for `check`.
start_daemon() {
  local name=$1 check=$2; shift 2
  # The program that the pid runs in the end (`unshare --net X` execs X).
  local program=$1
  [[ $program == unshare ]] && program=$3
  setsid "$@" >"$STATE/$name.log" 2>&1 </dev/null &
  echo $! >"$STATE/$name.pid"
  for _ in $(seq 150); do
    if eval "$check" >/dev/null 2>&1; then return 0; fi
    ours_alive "$STATE/$name.pid" "$program" || fail "$name exited: $(tail -3 "$STATE/$name.log")"
    sleep 0.2
  done
  fail "$name did not answer within 30 s: $(tail -3 "$STATE/$name.log")"
}

up() {
  [[ $(id -u) == 0 ]] || fail "needs root"
  mkdir -p "$STATE"
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v busybox >/dev/null || [[ -x /bin/busybox ]] || missing+=(busybox-static)
  command -v podman >/dev/null || missing+=(podman)
  if ((${#missing[@]})); then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
      || fail "apt-get install ${missing[*]} failed"
  fi
  # dockerd first: started after a standalone containerd, it would use that
  # one instead of its own.
  if ! $DOCKER version >/dev/null 2>&1; then
    start_daemon dockerd "$DOCKER version" dockerd
  fi
  if ! ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1; then
    start_daemon containerd "ctr --address $CONTAINERD_SOCK version" containerd
  fi
  if ! $DOCKER image inspect "$IMAGE" >/dev/null 2>&1; then
    local root
    root=$(mktemp -d)
    mkdir -p "$root/bin"
    cp /bin/busybox "$root/bin/busybox"
    for cmd in sh sleep cat ls; do ln -s busybox "$root/bin/$cmd"; done
    tar -C "$root" -c . | $DOCKER import - "$IMAGE" >/dev/null
    rm -rf "$root"
  fi
  if ! ctr --address "$CONTAINERD_SOCK" -n k8s.io images ls -q | grep -qx "docker.io/library/$IMAGE"; then
    $DOCKER save "$IMAGE" | ctr --address "$CONTAINERD_SOCK" -n k8s.io images import - >/dev/null
  fi
  printf '[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n' >"$STATE/containers.conf"
  if ! podman image exists "localhost/$IMAGE" 2>/dev/null; then
    $DOCKER save "$IMAGE" | podman load >/dev/null 2>&1 || true
    podman image exists "localhost/$IMAGE" 2>/dev/null \
      || podman tag "$IMAGE" "localhost/$IMAGE" >/dev/null 2>&1 || true
  fi
  echo "$STATE"
}

up_remap() {
  up >/dev/null
  local remap=$STATE/remap
  mkdir -p "$remap"
  if ! $DOCKER -H "unix://$remap/docker.sock" version >/dev/null 2>&1; then
    # In a network namespace of its own: a second daemon on the host's
    # would share (and with --bridge=none delete) the first one's docker0.
    start_daemon remap-dockerd "$DOCKER -H unix://$remap/docker.sock version" \
      unshare --net dockerd --userns-remap=default --data-root "$remap/root" --exec-root "$remap/exec" \
      -H "unix://$remap/docker.sock" --pidfile "$remap/dockerd.pid" \
      --iptables=false --ip-masq=false
  fi
  if ! $DOCKER -H "unix://$remap/docker.sock" image inspect "$IMAGE" >/dev/null 2>&1; then
    $DOCKER save "$IMAGE" | $DOCKER -H "unix://$remap/docker.sock" load -q >/dev/null
  fi
  echo "$remap/root"
}

down() {
  local name pid
  for name in remap-dockerd containerd dockerd; do
    if ours_alive "$STATE/$name.pid" "${name#remap-}"; then
      pid=$(<"$STATE/$name.pid")
      kill -TERM "$pid"
      for _ in $(seq 100); do [[ -d /proc/$pid ]] || break; sleep 0.2; done
    fi
    rm -f "$STATE/$name.pid"
  done
}

case ${1:-} in
  up) up ;;
  up-remap) up_remap ;;
  down) down ;;
  *) echo "usage: $0 up|up-remap|down" >&2; exit 2 ;;
esac
