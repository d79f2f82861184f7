#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A highly available pair: two gateways with the same WireGuard keys and
# peer, keepalived (VRRP, unicast over the sync link) moving the external
# address and the WireGuard endpoint address, conntrackd replicating
# established flows over the same link, both filtered to the other box's
# address there (contrib/ha/). Mappings are not replicated: ports are deterministic, so
# the client's next renewal on the new primary gets the same port. The
# primary dies (everything killed, link down); measured: the VIP moving,
# the established flow continuing, the renewal's port, a new connection.
. "$(dirname "$0")/lib.sh"
PGD="$PWD/$BUILD/portgated"
PMP="$PWD/$BUILD/tests/netns/pmpclient"
HA="$PWD/contrib/ha"
for tool in keepalived conntrackd; do
	command -v $tool >/dev/null || { skip "the HA pair" "$tool is not installed (scripts/install-deps)"; finish; exit; }
done
EXT_VIP=203.0.113.1 EP_VIP=198.51.100.1 GWIN=10.66.0.1
mkns lan; mkns gwa; mkns gwb; mkns c1; mkns ext
in_ns lan ip link add br0 type bridge
in_ns lan ip link set br0 up
attach() {	# NS IF ADDR...: a port of the shared segment
	local n=$1 dev=$2; shift 2
	ip link add "$dev" netns "$(ns "$n")" type veth peer name "b$n" netns "$(ns lan)" || exit 1
	in_ns lan ip link set "b$n" master br0 up
	in_ns "$n" ip link set "$dev" up
	for a in "$@"; do in_ns "$n" ip addr add "$a" dev "$dev"; done
}
attach gwa eth0 203.0.113.11/24 198.51.100.11/24
attach gwb eth0 203.0.113.12/24 198.51.100.12/24
attach ext eth0 203.0.113.2/24
attach c1 eth0 198.51.100.50/24
veth gwa sync0 192.0.2.1/30 gwb sync0 192.0.2.2/30

# One WireGuard identity on both gateways; each knows the client's endpoint,
# so the new primary can reach it first. The tunnel is up on the primary
# only (primary-backup.sh).
wg_keypair gw; wg_keypair c1
for g in gwa gwb; do
	dev="pg$$${g:2}"
	wg_up $g "$dev" $GWIN/24 "$TMPD/gw.key" 51820 || exit 1
	in_ns $g wg set "$dev" peer "$(cat "$TMPD/c1.pub")" allowed-ips 10.66.0.2/32 \
		endpoint 198.51.100.50:51820
	eval "WG_$g=$dev"
done
WG_C="pg$$c"
wg_up c1 "$WG_C" 10.66.0.2/32 "$TMPD/c1.key" 51820 || exit 1
in_ns c1 wg set "$WG_C" peer "$(cat "$TMPD/gw.pub")" endpoint $EP_VIP:51820 \
	allowed-ips 10.66.0.0/24,203.0.113.0/24 persistent-keepalive 1
in_ns c1 ip route add 10.66.0.0/24 dev "$WG_C"
in_ns c1 ip route add 203.0.113.0/24 dev "$WG_C"

start_gateway() {	# NS PRIORITY SYNC_LOCAL SYNC_PEER
	local g=$1 run="$TMPD/$1" dev
	eval "dev=\$WG_$g"
	mkdir -p "$run"
	sed -e "s|@SYNC_IFACE@|sync0|; s|@SYNC_LOCAL@|$3|g; s|@SYNC_PEER@|$4|g; s|@RUN@|$run|g" \
		"$HA/conntrackd.conf.in" >"$run/conntrackd.conf"
	printf '#!/bin/sh\nCONNTRACKD_CONF=%s WG_IFACE=%s exec %s "$@"\n' "$run/conntrackd.conf" \
		"$dev" "$HA/primary-backup.sh" >"$run/notify"
	chmod 0755 "$run/notify"
	sed -e "s|@NAME@|$g|; s|@IFACE@|eth0|g; s|@PRIORITY@|$2|; s|@EXTERNAL_VIP@|$EXT_VIP/24|" \
	    -e "s|@ENDPOINT_VIP@|$EP_VIP/24|; s|@NOTIFY@|$run/notify|g" \
	    -e "s|@SYNC_IFACE@|sync0|g; s|@SYNC_LOCAL@|$3|g; s|@SYNC_PEER@|$4|g" \
		"$HA/keepalived.conf.in" >"$run/keepalived.conf"
	sed -e "s|@SYNC_IFACE@|sync0|g; s|@SYNC_LOCAL@|$3|g; s|@SYNC_PEER@|$4|g" \
		"$HA/ha-filter.nft.in" >"$run/ha-filter.nft"
	in_ns $g nft -f "$run/ha-filter.nft" || exit 1
	cat >"$run/portgate.yaml" <<YAML
interface: $dev
external: { address: $EXT_VIP }
ports: { range: 20000-29999 }
lifetime: { min: 2, max: 7200 }
poll_interval: 1
control: { socket: $run/control.sock }
YAML
	# Down until keepalived makes this box the primary (primary-backup.sh).
	in_ns $g ip link set "$dev" down
	in_ns $g conntrackd -C "$run/conntrackd.conf" -d
	ip netns exec "$(ns $g)" keepalived -n -l -D -P -f "$run/keepalived.conf" -p "$run/k.pid" \
		-r "$run/v.pid" >"$run/keepalived.log" 2>&1 &
	BG_PIDS="$BG_PIDS $!"
	ip netns exec "$(ns $g)" "$PGD" -f -c "$run/portgate.yaml" >"$run/portgated.log" 2>&1 &
	BG_PIDS="$BG_PIDS $!"
}
start_gateway gwa 150 192.0.2.1 192.0.2.2
wait_until 3 sh -c "ip netns exec $(ns gwa) ip -4 addr show eth0 | grep -q 203.0.113.1/"
start_gateway gwb 100 192.0.2.2 192.0.2.1
vip_on() { in_ns "$1" ip -4 addr show eth0 | grep -q "$EXT_VIP/"; }
check "gwa holds the addresses (VRRP)" 'wait_until 10 vip_on gwa'
check_not "gwb does not" 'vip_on gwb'
# gwa's tunnel came up with its VRRP state: the client's session is new.
gw_answers() { in_ns c1 "$PMP" $GWIN op0 | grep -q "result=0 "; }
check "the client's tunnel reaches the primary" 'wait_until 20 gw_answers'
wg_down_on_gwb() { ! in_ns gwb ip link show "$WG_gwb" | grep -q "state UP\|,UP"; }
check "gwb, the backup, keeps its tunnel down" 'wait_until 5 wg_down_on_gwb'
# VRRP runs over the sync link only, filtered to the other box's address
# (ha-filter.nft): gwb hears gwa there, so its timer never runs out.
vrrp_heard() {	# NS N: at least N adverts passed the filter's accept
	local n
	n=$(in_ns "$1" nft list chain inet portgate_ha input |
		sed -n 's/.*ip protocol vrrp counter packets \([0-9]*\) .*accept.*/\1/p')
	ge "$n" "$2"
}
check "gwb hears gwa's adverts on the sync link, through the filter" 'wait_until 10 vrrp_heard gwb 5'
check_not "... and so stays the backup" 'vip_on gwb'
daemon_up() { in_ns gwa ss -Hlun "sport = :5351" | grep -q "$GWIN"; }
check "portgated serves on gwa" 'wait_until 5 daemon_up'

r=$(in_ns c1 timeout 10 natpmpc -g $GWIN -a 1 0 tcp 120 2>&1)
p=$(sed -n 's/.*Mapped public port \([0-9]*\) protocol TCP.*/\1/p' <<<"$r")
check "the client maps a port on the primary" 'in_range "$p" 20000 29999'
echo_servers c1 "$p" c1
conn_open ext $EXT_VIP "$p"
check "an established TCP flow from outside passes data" 'line_through c1 one'
replicated() { in_ns gwb conntrackd -C "$TMPD/gwb/conntrackd.conf" -e 2>/dev/null | grep -q "dport=$p "; }
check "conntrackd replicated the flow to gwb" 'wait_until 5 replicated'

# --- the primary dies -----------------------------------------------------------
t0=$(date +%s%N)
for pid in $(ip netns pids "$(ns gwa)"); do kill -9 "$pid" 2>/dev/null; done
in_ns gwa ip link set eth0 down
ms() { echo $(( ($(date +%s%N) - t0) / 1000000 )); }
check "gwb takes the addresses" 'wait_until 10 vip_on gwb'
t_vip=$(ms)
# The replicated entry, NAT included, is in gwb's kernel before the client
# asked gwb for anything (without conntrackd the flow's next packet would
# make an entry without the DNAT: gwb has no mapping yet).
committed() { in_ns gwb conntrack -L -p tcp --orig-port-dst "$p" 2>/dev/null | grep -q "src=10.66.0.2 "; }
check "gwb's kernel has the flow with its DNAT (conntrackd committed it)" 'wait_until 5 committed'
check "no mapping on gwb yet (the renewal has not come)" 'map_lacks gwb tcp "$p"'
# The established flow: TCP retransmits the line until the new primary
# has the replicated entry and a WireGuard session with the client.
flow_says() {	# LINE SECONDS: one line through the established flow
	local got
	echo "$1" >&"$CONN_IN" 2>/dev/null || return 1
	read -r -t "$2" got <&"$CONN_OUT" && [ "$got" = "c1:$1" ]
}
check "the established flow continues through gwb" 'flow_says two 30'
t_flow=$(ms)
renewed() {
	r=$(in_ns c1 timeout 5 natpmpc -g $GWIN -a 1 0 tcp 120 2>&1)
	grep -q "Mapped public port" <<<"$r"
}
# (natpmpc retries for a while itself; each try here is one renewal.)
check "the client's next renewal is answered by gwb" 'wait_until 30 renewed'
t_renew=$(ms)
check "... with the same port" 'grep -q "Mapped public port $p protocol TCP" <<<"$r"'
check "a new connection from outside reaches the client through gwb" 'tcp_says ext $EXT_VIP "$p" c1'
t_new=$(ms)
echo "     failover: addresses moved after ${t_vip} ms, the established flow passed again after"
echo "     ${t_flow} ms, the client's renewal was answered (same port) after ${t_renew} ms, a new"
echo "     connection went through after ${t_new} ms (each measured from the kill, one after the other)"
finish
