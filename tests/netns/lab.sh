# SPDX-License-Identifier: GPL-2.0-or-later
# The WireGuard lab shared by the end-to-end tests and `make demo` (bash;
# source lib.sh first). Hosts, all in namespaces made here:
#   ext  203.0.113.2     the outside world
#   gw   203.0.113.1     eth0: external address; WireGuard 10.66.0.1/24
#   c1   10.66.0.2       WireGuard client (underlay 198.51.100.2)
#   c2   10.66.0.3       WireGuard client (underlay 198.51.100.6)
PGD="$PWD/$BUILD/portgated"
PMP="$PWD/$BUILD/tests/netns/pmpclient"
EXT=203.0.113.1
GWIN=10.66.0.1
WG_GW="pg$$g"; WG_C1="pg$$a"; WG_C2="pg$$b"
CONF="$TMPD/portgate.yaml"
DLOG="$TMPD/portgated.log"
DAEMON_PID=""

lab_client() {	# NAME WGDEV INNER UNDERLAY_GW UNDERLAY_ME
	local n=$1 dev=$2 inner=$3 ugw=$4 ume=$5
	wg_keypair "$n"
	veth gw "u$n" "$ugw/30" "$n" eth0 "$ume/30"
	wg_up "$n" "$dev" "$inner/32" "$TMPD/$n.key" || return 1
	in_ns "$n" wg set "$dev" peer "$(cat "$TMPD/gw.pub")" endpoint "$ugw:51820" \
		allowed-ips 10.66.0.0/24,203.0.113.0/24 persistent-keepalive 1
	in_ns "$n" ip route add 10.66.0.0/24 dev "$dev"
	in_ns "$n" ip route add 203.0.113.0/24 dev "$dev"
	in_ns gw wg set "$WG_GW" peer "$(cat "$TMPD/$n.pub")" allowed-ips "$inner/32"
}

lab_policy() {	# extra YAML lines on stdin are appended
	cat >"$CONF" <<YAML
interface: $WG_GW
external:
  interface: eth0
${LAB_ADVERTISE:+  advertise: $LAB_ADVERTISE}
ports:
  range: 20000-29999
  reserved: [${LAB_RESERVED:-20022}]
lifetime:
  min: 2
  max: ${LAB_LIFE_MAX:-7200}
mapping:
  mode: ${LAB_MODE:-rfc}
limits:
  per_peer: ${LAB_PER_PEER:-8}
  rate: ${LAB_RATE:-50}
poll_interval: 1
pcp: ${LAB_PCP:-true}
nftables:
  table: portgate
control:
  socket: $TMPD/control.sock
YAML
	[ -t 0 ] || cat >>"$CONF"
}

lab_up() {
	mkns gw; mkns c1; mkns c2; mkns ext
	veth gw eth0 $EXT/24 ext eth0 203.0.113.2/24
	wg_keypair gw
	wg_up gw "$WG_GW" $GWIN/24 "$TMPD/gw.key" 51820 || return 1
	lab_client c1 "$WG_C1" 10.66.0.2 198.51.100.1 198.51.100.2 || return 1
	lab_client c2 "$WG_C2" 10.66.0.3 198.51.100.5 198.51.100.6 || return 1
	wait_until 10 handshakes_done 2 || { echo "the tunnels did not come up"; return 1; }
	C1_KEY=$(cat "$TMPD/c1.pub"); C2_KEY=$(cat "$TMPD/c2.pub")
	lab_policy </dev/null
}

handshakes_done() {	# N: that many peers of gw have completed a handshake
	[ "$(in_ns gw wg show "$WG_GW" latest-handshakes | awk '$2 != 0' | wc -l)" -ge "$1" ]
}

# lab_readd_c1: puts peer c1 back on gw after a test removed it, with its
# endpoint, so that the tunnel is up again at once.
lab_readd_c1() {
	local port
	lab_readd_c1_now || return 1
	wait_until 10 handshakes_done 2 || return 1
	# The daemon learns of the peer at its next poll (poll_interval).
	[ -z "$DAEMON_PID" ] || wait_until 5 c1_served
}
# lab_readd_c1_now: the same without waiting for anything.
lab_readd_c1_now() {
	local port
	port=$(in_ns c1 wg show "$WG_C1" listen-port)
	in_ns gw wg set "$WG_GW" peer "$C1_KEY" allowed-ips 10.66.0.2/32 \
		endpoint "198.51.100.2:$port"
	in_ns c1 wg set "$WG_C1" peer "$(cat "$TMPD/gw.pub")" remove
	in_ns c1 wg set "$WG_C1" peer "$(cat "$TMPD/gw.pub")" endpoint "198.51.100.1:51820" \
		allowed-ips 10.66.0.0/24,203.0.113.0/24 persistent-keepalive 1
}
c1_served() { [ "$(field result "$(pmp c1 op0)")" = 0 ]; }

daemon_listening() { in_ns gw ss -Hlun "sport = :5351" | grep -q "$GWIN"; }

lab_start() {
	ip netns exec "$(ns gw)" ${PGD_WRAP:-} "$PGD" -f -d -c "$CONF" >>"$DLOG" 2>&1 &
	DAEMON_PID=$!
	BG_PIDS="$BG_PIDS $DAEMON_PID"
	# 20 s: a loaded TCG guest (scripts/vm) was seen taking more than 5.
	wait_until 20 daemon_listening || { echo "portgated did not start:"; tail -n 20 "$DLOG"; return 1; }
}

lab_stop() {	# [SIGNAL]
	[ -n "$DAEMON_PID" ] || return 0
	kill -"${1:-TERM}" "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=""
}

# pmp CLIENT ARGS...: one pmpclient run in a client namespace.
pmp() { local n=$1; shift; in_ns "$n" "$PMP" $GWIN "$@"; }
# pmp_from CLIENT BIND_ADDR ARGS...: the same from a socket bound to BIND_ADDR.
pmp_from() { local n=$1 b=$2; shift 2; in_ns "$n" "$PMP" -b "$b" $GWIN "$@"; }
# field NAME LINE: the value of NAME=... in a reply line.
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# qbt_start NS DIR PASSWORD: qbittorrent-nox in NS, its WebUI on
# 127.0.0.1:8089 with user admin and PASSWORD (stored as qBittorrent does,
# PBKDF2), the legal notice accepted, listening on 6881.
qbt_start() {
	local n=$1 dir=$2 pass=$3 hash
	mkdir -p "$dir/qBittorrent/config"
	hash=$(python3 -c 'import hashlib,os,base64,sys
s=os.urandom(16); d=hashlib.pbkdf2_hmac("sha512",sys.argv[1].encode(),s,100000,64)
print("@ByteArray(%s:%s)"%(base64.b64encode(s).decode(),base64.b64encode(d).decode()))' "$pass")
	cat >"$dir/qBittorrent/config/qBittorrent.conf" <<CONF
[LegalNotice]
Accepted=true

[Preferences]
WebUI\\Address=127.0.0.1
WebUI\\Port=8089
WebUI\\Username=admin
WebUI\\Password_PBKDF2="$hash"
Connection\\PortRangeMin=6881
CONF
	ip netns exec "$(ns "$n")" qbittorrent-nox --profile="$dir" >"$dir.log" 2>&1 &
	BG_PIDS="$BG_PIDS $!"
	QB_NS=$n QB_PASS=$pass QB_DIR=$dir
}
# qb_port: the listen_port qBittorrent's own API reports.
qb_port() {
	in_ns "$QB_NS" curl -s -c "$QB_DIR.cj" -d "username=admin&password=$QB_PASS" \
		http://127.0.0.1:8089/api/v2/auth/login >/dev/null
	in_ns "$QB_NS" curl -s -b "$QB_DIR.cj" http://127.0.0.1:8089/api/v2/app/preferences |
		sed -n 's/.*"listen_port":\([0-9]*\).*/\1/p'
}

# lab_ipv6: IPv6 on the lab (documentation addresses, no DAD wait).
#   gw   2001:db8:e::1 on eth0 (external), 2001:db8:66::1/64 on WireGuard
#   ext  2001:db8:e::2, with a route to the tunnel's /64 through gw (routed)
#   c1   2001:db8:66::2/128, c2 2001:db8:66::3/128 (each its peer's
#        allowed-ip on gw), default route through the tunnel
GW6=2001:db8:66::1
EXT6=2001:db8:e::1
C1_6=2001:db8:66::2
C2_6=2001:db8:66::3
lab_ipv6() {
	in_ns gw sysctl -qw net.ipv6.conf.all.forwarding=1
	in_ns gw ip -6 addr add $EXT6/64 dev eth0 nodad
	in_ns ext ip -6 addr add 2001:db8:e::2/64 dev eth0 nodad
	in_ns ext ip -6 route add 2001:db8:66::/64 via $EXT6
	in_ns gw ip -6 addr add $GW6/64 dev "$WG_GW" nodad
	lab_client6 c1 "$WG_C1" $C1_6 10.66.0.2 || return 1
	lab_client6 c2 "$WG_C2" $C2_6 10.66.0.3
}
lab_client6() {	# NAME WGDEV ADDR6 INNER4
	local n=$1 dev=$2 a=$3 inner=$4
	in_ns "$n" ip -6 addr add "$a/128" dev "$dev" nodad
	in_ns gw wg set "$WG_GW" peer "$(cat "$TMPD/$n.pub")" allowed-ips "$inner/32,$a/128"
	in_ns "$n" wg set "$dev" peer "$(cat "$TMPD/gw.pub")" \
		allowed-ips 10.66.0.0/24,203.0.113.0/24,::/0
	in_ns "$n" ip -6 route add 2001:db8:66::/64 dev "$dev"
	in_ns "$n" ip -6 route add default via $GW6 dev "$dev"
}
# lab_policy_ipv6 MODE: the lab's policy serving IPv6 peers in MODE (routed,
# nat66), with the metrics endpoint.
lab_policy_ipv6() { printf 'ipv6:\n  mode: %s\nmetrics:\n  listen: 127.0.0.1:9834\n' "$1" | lab_policy; }
# lab_admin_filter6 [RULE]: the admin's own IPv6 forward filter on gw, drop
# by default but established flows and the one mark rule docs/operations.md
# asks for (portgated's default ipv6.mark), RULE appended.
lab_admin_filter6() {
	in_ns gw nft -f - <<NFT
table ip6 admin {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		meta mark & 0x08000000 == 0x08000000 accept
		${1:-}
	}
}
NFT
}
# pmp6 CLIENT ARGS...: pmpclient over IPv6 to the gateway's tunnel address.
pmp6() { local n=$1; shift; in_ns "$n" "$PMP" $GW6 "$@"; }
daemon_listening6() { in_ns gw ss -6Hlun "sport = :5351" | grep -q "$GW6"; }
# pinhole_has "ADDR . PROTO . PORT": the ip6 pinhole set holds it.
pinholes() { in_ns gw nft list set ip6 portgate pinholes; }
pinhole_has() { pinholes | grep -q -- "$1"; }
pinhole_lacks() { ! pinhole_has "$1"; }
nat66_has() { in_ns gw nft list map ip6 portgate forwards | grep -q -- "$1"; }

# libtorrent (lt_client.py) logs to $log: whether it has a TCP mapping, and
# the external port of its first one.
lt_mapped() { grep -q "^portmap [0-9]* tcp natpmp" "$log"; }
lt_port() { sed -n 's/^portmap \([0-9]*\) tcp natpmp$/\1/p' "$log" | head -n 1; }

# Announcements (NAT-PMP op 128, PCP ANNOUNCE) reaching c1 on UDP 5350.
# ann_listen FILE [GW]: a listener in c1 (dual-stack when GW is IPv6)
# writing one line per datagram to FILE until ANN_PID is killed.
ann_listen() {
	bg_ns c1 "$PMP" "${2:-$GWIN}" listen 600 >"$1"
	ANN_PID=$!
	wait_until 3 ann_bound
}
ann_bound() { in_ns c1 ss -Hlun 'sport = :5350' | grep -q .; }
ann_count() { grep -c "op=128" "$1"; }
# ann_rounds FILE: rounds of the schedule heard (one NAT-PMP datagram each).
ann_rounds() { grep -c "version=0 op=128" "$1"; }
ann_rounds_reach() { [ "$(ann_rounds "$1")" -ge "$2" ]; }
ann_grew() { [ "$(ann_count "$1")" -gt "$2" ]; }
# ann_after FILE SECONDS CMD...: runs CMD, waits at most SECONDS for an
# announcement, prints how many arrived. The start's schedule (announce.h:
# 10 rounds, 250 ms doubling) is silent for 16 s after its 7th round: a
# window in that gap hears only what CMD caused.
ann_after() {
	local f=$1 s=$2 n; shift 2
	n=$(ann_count "$f")
	"$@" >/dev/null || return 1
	wait_until "$s" ann_grew "$f" "$n"
	echo $(( $(ann_count "$f") - n ))
}
