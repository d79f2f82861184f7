#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Static forwards set by the admin (policy forwards:): traffic from outside
# reaches the peer's internal port, through a peer's removal and return,
# across a daemon restart and through reloads; never handed to anyone else.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
CTL="$PWD/$BUILD/portgatectl"
lab_up || exit 1
static_policy() {	# extra forwards of c1 on stdin
	lab_policy <<YAML
metrics:
  listen: 127.0.0.1:9834
peers:
  "$C1_KEY":
    forwards:
      - { protocol: tcp, external: 2222, internal: 22 }
      - { protocol: both, external: 24000 }
$(cat)
YAML
}
static_policy </dev/null
lab_start || exit 1
ctl() { in_ns gw "$CTL" -s "$TMPD/control.sock" "$@"; }
# element NS PROTO PORT: the map's line for that key.
element() { in_ns "$1" nft list map ip portgate forwards | grep -E -- "$2 \. $3 "; }
# forwards NS "PROTO PORT ADDRESS PORT": the map holds exactly that element.
forwards() { map_elements "$1" | grep -qx -- "$2"; }
without_timeout() { ! element gw "$1" "$2" | grep -q expires; }
metric() { in_ns gw curl -s http://127.0.0.1:9834/metrics | sed -n "s/^$1 //p"; }

echo_servers c1 22 c1
echo_servers c1 24000 c1
element gw tcp 2222 | sed 's/^\s*/     /'
check "the static forward is in the map: tcp 2222 to c1's port 22" 'forwards gw "tcp 2222 10.66.0.2 22"'
check "... without a kernel timeout" 'without_timeout tcp 2222'
check "traffic from outside reaches c1's port 22 through external 2222" 'tcp_says ext $EXT 2222 c1'
check "protocol both: TCP 24000 reaches c1" 'tcp_says ext $EXT 24000 c1'
check "protocol both: UDP 24000 reaches c1" 'udp_says ext $EXT 24000 c1'
check "UDP 2222 is not forwarded (the forward is TCP only)" 'map_lacks gw udp 2222'

# --- shown apart from the dynamic mappings ------------------------------
p=$(field external "$(pmp c2 map tcp 24000 24000 600)")
check "c2 suggesting the static port 24000 gets another one" 'ne "$p" 24000'
p1=$(field external "$(pmp c1 map udp 24000 24000 600)")
check "so does c1, the forward's owner" 'ne "$p1" 24000'
ctl list | sed 's/^/     /'
check "portgatectl list shows the forward as static" 'ctl list | grep -qE "static +policy +tcp +2222 +10.66.0.2:22 +never expires"'
check "... and the client's mapping as dynamic" 'ctl list | grep -qE "dynamic +natpmp +tcp +$p "'
check "list --json says kind static" 'ctl --json list | grep -q "\"kind\": \"static\""'
check "status counts the static forwards apart" 'ctl status | grep -qE "static forwards: +1 udp, 2 tcp"'
check "metrics: portgate_static_forwards tcp is 2" 'eq "$(metric "portgate_static_forwards{protocol=\"tcp\"}")" 2'
check "metrics: portgate_mappings tcp counts only the client's (1)" 'eq "$(metric "portgate_mappings{protocol=\"tcp\"}")" 1'
check "an operator's port drop is refused" 'ctl drop tcp/2222 2>&1 | grep -q "static forward"'
check "(the forward stays)" 'map_has gw "tcp . 2222 "'

# --- the peer leaves and comes back -------------------------------------
in_ns gw wg set "$WG_GW" peer "$C1_KEY" remove
check "c1 removed: its static forward leaves the map" 'wait_until 3 map_lacks gw tcp 2222'
check "... with its dynamic mapping" 'map_lacks gw udp "$p1"'
check "the removal is logged with its reason" 'grep -q "static forward dropped (peer vanished): peer .* tcp 2222" "$DLOG"'
check_not "no traffic reaches 2222 while c1 is away" 'tcp_says ext $EXT 2222 c1'
p=$(field external "$(pmp c2 map tcp 2222 2222 600)")
check "while c1 is away, its port is not handed out" 'ne "$p" 2222'
check "c1 back on the interface" 'lab_readd_c1'
check "its static forward is back" 'wait_until 3 forwards gw "tcp 2222 10.66.0.2 22"'
check "and carries traffic again" 'wait_until 3 tcp_says ext $EXT 2222 c1'

# --- restart ------------------------------------------------------------
lab_stop TERM
check "with the daemon stopped the forward still works (the table stays)" 'tcp_says ext $EXT 2222 c1'
lab_start || exit 1
check "after a restart the forward carries traffic" 'tcp_says ext $EXT 2222 c1'
check "... still without a timeout" 'without_timeout tcp 2222'
check "... and portgatectl lists it as static" 'ctl list | grep -qE "static +policy +tcp +2222 "'
lab_stop KILL
in_ns gw nft delete table ip portgate
lab_start || exit 1
check "after a crash and a lost table the forward is installed again" 'wait_until 3 tcp_says ext $EXT 2222 c1'

# --- reloads ------------------------------------------------------------
cp "$CONF" "$TMPD/good.yaml"
static_policy <<YAML
  "$C2_KEY":
    forwards:
      - { protocol: tcp, external: 2222 }
YAML
reloads() { grep -c "reload refused" "$DLOG"; }
kill -HUP "$DAEMON_PID"
check "a forward colliding with another peer's is refused on reload, with FILE:LINE:COL" 'wait_until 3 grep -qE "reload refused.*portgate.yaml:[0-9]+:[0-9]+: external port 2222 is already forwarded" "$DLOG"'
check "and the running forwards stay" 'tcp_says ext $EXT 2222 c1'
# Changed (2222 now to port 24000), removed (24000) and added (2223 for c2)
# in one reload.
lab_policy <<YAML
peers:
  "$C1_KEY":
    forwards:
      - { protocol: tcp, external: 2222, internal: 24000 }
  "$C2_KEY":
    forwards:
      - { protocol: udp, external: 2223, internal: 7000 }
YAML
echo_servers c2 7000 c2
kill -HUP "$DAEMON_PID"
check "reload: the changed forward goes to its new port" 'wait_until 3 forwards gw "tcp 2222 10.66.0.2 24000"'
check "reload: the removed forward is gone" 'map_lacks gw tcp 24000'
check "reload: (both of its protocols)" 'map_lacks gw udp 24000'
check "reload: the added forward carries traffic" 'udp_says ext $EXT 2223 c2'
check "reload: the changed forward carries traffic" 'tcp_says ext $EXT 2222 c1'
finish
