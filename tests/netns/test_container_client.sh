#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# portgate-client as a container beside a torrent client (gluetun's place):
# the image built from contrib/container/Containerfile.client, joined to the
# WireGuard client's network namespace (lab c1), with no capability, not
# root, a read-only root. Configured by flags, then by its YAML file: the
# port file (a mounted directory) and GET /v1/openvpn/portforwarded tell
# the port the gateway forwards to c1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
if ! command -v podman >/dev/null || ! command -v mmdebstrap >/dev/null; then
	skip "the client in a container" "podman or mmdebstrap is not installed (scripts/install-deps)"
	finish; exit
fi
IMAGE=localhost/portgate-client:check
CN="pgccheck$$"
RUNF=(--runtime runc --ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
trap 'podman rm -f -t 2 "$CN" >/dev/null 2>&1; podman rmi -f "$IMAGE" >/dev/null 2>&1
      podman image prune -f >/dev/null 2>&1; cleanup; rm -rf "$TMPD"' EXIT
check "the client's image builds" 'scripts/container-image "$IMAGE" contrib/container/Containerfile.client >"$TMPD/build.log" 2>&1'
[ "$TESTS_FAILED" = 0 ] || { tail -n 20 "$TMPD/build.log"; finish; exit 1; }
in_image() { podman run --rm --network none "${RUNF[@]}" --entrypoint /bin/sh "$IMAGE" -c "$1"; }
check "the image holds portgate-client" 'in_image "command -v portgate-client" >/dev/null'
check_not "... and not the gateway (no portgated)" 'in_image "command -v portgated"'
check_not "... nor libnftnl" 'in_image "ls /usr/lib/*/libnftnl.so.*" 2>/dev/null'

lab_up || exit 1
lab_start || exit 1
mkdir -p "$TMPD/out" && chmod 0777 "$TMPD/out"
container_start() {	# ARGS for portgate-client (the image's CMD otherwise)
	podman run -d --name "$CN" "${RUNF[@]}" --network "ns:/run/netns/$(ns c1)" \
		--cap-drop all --read-only -v "$TMPD/out:/run/portgate-client" \
		${CONF_MOUNT:+-v "$CONF_MOUNT:/etc/portgate/portgate-client.yaml:ro"} \
		"$IMAGE" "$@" >/dev/null
}
container_log() { podman logs "$CN" 2>&1; }
forwarded() { in_ns c1 curl -s http://127.0.0.1:9835/v1/openvpn/portforwarded; }
says_port() { eq "$(forwarded)" "{\"port\":$1}"; }

# --- by flags -----------------------------------------------------------------------
check "the container starts, configured by flags" 'container_start -i "$WG_C1" -o /run/portgate-client/forwarded_port -m 127.0.0.1:9835'
check "the port file in the mounted directory gets the forwarded port" 'wait_until 15 test -s "$TMPD/out/forwarded_port"'
container_log | sed 's/^/     /'
p=$(cat "$TMPD/out/forwarded_port")
check "... one of the policy's range" 'in_range "$p" 20000 29999'
check "the gateway forwards it to c1" 'map_elements gw | grep -qx "tcp $p 10.66.0.2 $p"'
check "GET /v1/openvpn/portforwarded in c1's namespace says {port: $p}" 'says_port "$p"'
pid=$(podman inspect -f '{{.State.Pid}}' "$CN")
check "its process has no capability (CapEff)" 'grep -qx "CapEff:	0000000000000000" "/proc/$pid/status"'
check_not "it does not run as root" 'grep -qE "^Uid:	0	" "/proc/$pid/status"'
check_not "its root file system is read-only" 'podman exec "$CN" touch /usr/bin/x 2>/dev/null'
podman rm -f -t 5 "$CN" >/dev/null

# --- by its YAML file -------------------------------------------------------------
rm -f "$TMPD/out/forwarded_port"
cat >"$TMPD/client.yaml" <<YAML
interface: $WG_C1
port_file: /run/portgate-client/forwarded_port
metrics_listen: 127.0.0.1:9835
YAML
chmod 0644 "$TMPD/client.yaml"
CONF_MOUNT="$TMPD/client.yaml"
check "the container starts, configured by its YAML file (the image's CMD)" 'container_start'
check "the port file gets the same port again" 'wait_until 15 test -s "$TMPD/out/forwarded_port"'
check "... the same port" 'eq "$(cat "$TMPD/out/forwarded_port")" "$p"'
check "GET /v1/openvpn/portforwarded says it" 'says_port "$p"'
podman rm -f -t 5 "$CN" >/dev/null 2>&1
finish
