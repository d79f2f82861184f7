#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real torrent clients from Debian's packages behind the tunnel:
# libtorrent 2.0 (python3-libtorrent, run with /usr/bin/python3) and
# transmission-daemon with its own port forwarding (libnatpmp). Each finds
# the gateway from its default route, maps its listen port, and a TCP
# connection from the outside host to the granted port must land on that
# listen port. Run in both mapping modes (same-port is the retired name of
# rfc: neither may send a listen port's traffic elsewhere): rfc with PCP
# served (libtorrent maps through PCP), same-port with pcp: false
# (libtorrent falls back to NAT-PMP).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
CTL="$PWD/$BUILD/portgatectl"
LT_PY=/usr/bin/python3
LT_CLIENT="$PWD/tests/netns/lt_client.py"
LT_PORT=6881			# outside the policy's range 20000-29999
TR_PORT=51413			# Transmission's default, outside it too

check "python3-libtorrent is installed (scripts/install-deps)" '$LT_PY -c "import libtorrent" 2>/dev/null'
check "transmission-daemon is installed (scripts/install-deps)" 'command -v transmission-daemon >/dev/null'
[ "$TESTS_FAILED" = 0 ] || { finish; exit 1; }

lab_up || exit 1
lab_start || exit 1
# Both clients look for the gateway on the default route.
in_ns c1 ip route add default via $GWIN dev "$WG_C1"
ctl() { in_ns gw "$CTL" -s "$TMPD/control.sock" "$@"; }
reloads() { grep -c "policy reloaded" "$DLOG"; }
# tcp_connects ADDR PORT: a TCP connection from the outside host is accepted.
tcp_connects() { in_ns ext timeout 5 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
# forwards "PROTO PORT ADDRESS PORT": the map holds exactly that element.
forwards() { map_elements gw | grep -qx -- "$1"; }
# granted_to PORT: the external port the map sends to c1's PORT (TCP).
granted_to() { map_elements gw | awk -v p="$1" '$1 == "tcp" && $3 == "10.66.0.2" && $4 == p { print $2 }'; }
stop_pid() { kill "$1" 2>/dev/null; wait_until 15 gone "$1"; }

transmission_settings() {	# DIR
	mkdir -p "$1/downloads"
	cat >"$1/settings.json" <<JSON
{
  "peer-port": $TR_PORT, "peer-port-random-on-start": false,
  "port-forwarding-enabled": true,
  "rpc-enabled": false, "dht-enabled": false, "lpd-enabled": false,
  "pex-enabled": false, "utp-enabled": false,
  "download-dir": "$1/downloads", "incomplete-dir-enabled": false,
  "watch-dir-enabled": false
}
JSON
}

for mode in rfc same-port; do
	pcp=true
	[ "$mode" = rfc ] || pcp=false
	n=$(reloads)
	LAB_MODE=$mode LAB_PCP=$pcp lab_policy </dev/null
	kill -HUP "$DAEMON_PID"
	reloaded() { [ "$(reloads)" -gt "$n" ]; }
	check "[$mode] the policy is in force" 'wait_until 5 reloaded'

	# --- libtorrent ------------------------------------------------------
	log="$TMPD/lt.$mode.log"
	ip netns exec "$(ns c1)" "$LT_PY" "$LT_CLIENT" $LT_PORT 60 >"$log" 2>&1 &
	lt_pid=$!; BG_PIDS="$BG_PIDS $lt_pid"
	check "[$mode] libtorrent: a portmap_alert for its TCP listen port" 'wait_until 20 lt_mapped'
	grep -E "transport: PCP|unsupported version|^portmap_alert" "$log" | sed 's/^/     /'
	check "[$mode] libtorrent asked with PCP first" 'grep -q "transport: PCP" "$log"'
	if [ "$pcp" = true ]; then
		check "[$mode] libtorrent's mapping came through PCP" 'grep -q "<== port map \[ transport: PCP protocol: tcp" "$log"'
		check_not "[$mode] ... with no fallback to NAT-PMP" 'grep -q "unsupported version" "$log"'
	else
		check "[$mode] pcp: false: libtorrent fell back to NAT-PMP" 'grep -q "<== port map \[ transport: NAT-PMP protocol: tcp" "$log"'
	fi
	e=$(lt_port)
	check "[$mode] libtorrent: the granted port $e is in the policy's range" 'in_range "$e" 20000 29999'
	check "[$mode] the map sends it to libtorrent's listen port $LT_PORT" 'forwards "tcp $e 10.66.0.2 $LT_PORT"'
	check "[$mode] from outside, TCP to $EXT:$e reaches libtorrent" 'tcp_connects $EXT "$e"'
	lt_udp() { grep -q "^portmap $e udp natpmp" "$log"; }
	check "[$mode] libtorrent's UDP mapping shares the port" 'wait_until 10 lt_udp'
	stop_pid "$lt_pid"
	check "[$mode] libtorrent's session end deletes its mapping" 'wait_until 5 map_lacks gw tcp "$e"'

	# --- transmission-daemon --------------------------------------------
	dir="$TMPD/transmission.$mode"; log="$TMPD/transmission.$mode.log"
	transmission_settings "$dir"
	ip netns exec "$(ns c1)" transmission-daemon -f -g "$dir" --log-info >"$log" 2>&1 &
	tr_pid=$!; BG_PIDS="$BG_PIDS $tr_pid"
	tr_forwarded() { grep -q "Port $TR_PORT forwarded successfully" "$log"; }
	# Transmission's port forwarding starts about 8 s after launch.
	check "[$mode] transmission reports its port forwarded" 'wait_until 30 tr_forwarded'
	grep "Port Forwarding" "$log" | sed 's/^/     /'
	e=$(granted_to $TR_PORT)
	check "[$mode] the gateway forwards a port ($e) to transmission's peer port" 'in_range "$e" 20000 29999'
	check "[$mode] from outside, TCP to $EXT:$e reaches transmission's peer listener" 'tcp_connects $EXT "$e"'
	check "[$mode] portgatectl lists it as c1's dynamic TCP mapping" 'ctl list | grep -qE "dynamic +natpmp +tcp +$e +10.66.0.2:$TR_PORT "'
	stop_pid "$tr_pid"
	# The next mode starts from nothing (Transmission 3.00 leaves its
	# mapping to expire).
	ctl drop "$C1_KEY" >/dev/null
done
finish
