#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The gateway as a container sidecar: portgated in the image built from
# contrib/container/Containerfile, joined to the lab gateway's network
# namespace (where wireguard-go runs), with CAP_NET_ADMIN only, a read-only
# root, not root, the policy mounted read-only and the UAPI socket reachable.
# A client maps a port and the outside host reaches it; podman stop leaves
# the forward working and a new container adopts it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
if ! command -v podman >/dev/null || ! command -v mmdebstrap >/dev/null; then
	skip "the gateway in a container" "podman or mmdebstrap is not installed (scripts/install-deps)"
	finish; exit
fi
IMAGE=localhost/portgate:check
host_state() { { ip -br link | awk '{ print $1 }'; nft list tables; } | sort; }
host_before=$(host_state)
CN="pgcheck$$"
# The container, the image this check built and its build layers go at the
# end, whatever happens (debian:12, made once, stays as the build cache).
trap 'podman rm -f -t 2 "$CN" >/dev/null 2>&1; podman rmi -f "$IMAGE" >/dev/null 2>&1
      podman image prune -f >/dev/null 2>&1; cleanup; rm -rf "$TMPD"' EXIT
check "make container builds the image" 'scripts/container-image "$IMAGE" >"$TMPD/build.log" 2>&1'
[ "$TESTS_FAILED" = 0 ] || { tail -n 20 "$TMPD/build.log"; finish; exit 1; }
check_not "the image holds the gateway only (no portgate-client)" \
	'podman run --rm --network none --runtime runc --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 --entrypoint /bin/sh "$IMAGE" -c "command -v portgate-client"'

lab_up || exit 1
# The container's policy: the lab's, with the control socket in a directory
# the container may write, and the UAPI socket where it is mounted.
mkdir -p "$TMPD/run" && chmod 0777 "$TMPD/run"
sed "s|socket: $TMPD/control.sock|socket: /run/portgate/control.sock|" "$CONF" >"$TMPD/container.yaml"
echo "uapi_socket: /wg/uapi.sock" >>"$TMPD/container.yaml"
chmod 0644 "$TMPD/container.yaml"
# wireguard-go's UAPI socket is root's, and wireguard-go stops when its
# socket's owner or mode change: a relay owned by the container's user.
# --network none: podman's default network would leave a bridge and
# iptables chains on the host.
uid=$(podman run --rm --network none --runtime runc --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 \
	--entrypoint /usr/bin/id "$IMAGE" -u)
socat UNIX-LISTEN:"$TMPD/uapi.sock",fork,user="$uid",mode=600 \
	UNIX-CONNECT:"/run/wireguard/$WG_GW.sock" &
BG_PIDS="$BG_PIDS $!"
wait_until 5 test -S "$TMPD/uapi.sock"
container_start() {
	podman run -d --name "$CN" --runtime runc --ulimit nofile=4096:4096 --ulimit nproc=4096:4096 \
		--network "ns:/run/netns/$(ns gw)" --cap-drop all --cap-add NET_ADMIN --read-only \
		-v "$TMPD/container.yaml:/etc/portgate/portgate.yaml:ro" \
		-v "$TMPD/uapi.sock:/wg/uapi.sock" -v "$TMPD/run:/run/portgate" "$IMAGE" >/dev/null
}
container_log() { podman logs "$CN" 2>&1; }
check "the container starts" 'container_start'
check "portgated listens in the gateway's namespace" 'wait_until 10 daemon_listening'
container_log | sed 's/^/     /'
pid=$(podman inspect -f '{{.State.Pid}}' "$CN")
check "its process has CAP_NET_ADMIN and nothing else (CapEff)" 'grep -qx "CapEff:	0000000000001000" "/proc/$pid/status"'
check "its bounding set is CAP_NET_ADMIN too" 'grep -qx "CapBnd:	0000000000001000" "/proc/$pid/status"'
check_not "it does not run as root" 'grep -qE "^Uid:	0	" "/proc/$pid/status"'
check_not "its root file system is read-only" 'podman exec "$CN" touch /usr/sbin/x 2>/dev/null'
check "it reads the peers through the UAPI socket" 'grep -q "reading $WG_GW through uapi: 2 peers" <<<"$(container_log)"'

r=$(in_ns c1 timeout 10 natpmpc -g $GWIN -a 1 0 tcp 60 2>&1)
p=$(sed -n 's/.*Mapped public port \([0-9]*\) protocol TCP.*/\1/p' <<<"$r")
echo "     natpmpc: mapped $p"
check "natpmpc gets a port from the container" 'in_range "$p" 20000 29999'
echo_servers c1 "$p" c1
check "the outside host reaches the client through it" 'tcp_says ext $EXT "$p" c1'

podman stop -t 5 "$CN" >/dev/null
if kernel_at_least 6 9; then
	check "after podman stop the forward keeps working (persistent table)" 'tcp_says ext $EXT "$p" c1'
	podman rm "$CN" >/dev/null
	check "a new container starts" 'container_start'
	check "... and listens" 'wait_until 10 daemon_listening'
	adopted() { container_log | grep -q "adopted 1 mappings"; }
	check "... and adopts the mapping" 'wait_until 5 adopted'
	r=$(in_ns c1 timeout 10 natpmpc -g $GWIN -a 1 0 tcp 60 2>&1)
	check "the client's renewal keeps its port" 'grep -q "Mapped public port $p protocol TCP" <<<"$r"'
	check "and the forward still carries traffic" 'tcp_says ext $EXT "$p" c1'
else
	skip "forwards across podman stop" "persistent tables need Linux 6.9 ($(uname -r))"
fi
podman rm -f -t 2 "$CN" >/dev/null 2>&1
check "the host's links and nftables tables are as before (no podman network)" 'eq "$(host_state)" "$host_before"'
finish
