#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# PCP (RFC 6887) as real clients speak it, over real WireGuard, each
# mapping proven by traffic from the outside host: a Tailscale-like client
# (ANNOUNCE probe, MAP with external 0, a new nonce each time), an iroh-like
# one (needs the ANNOUNCE answer, an IPv4-mapped external address and a
# non-zero port), PREFER_FAILURE, one table with NAT-PMP, unsolicited
# ANNOUNCEs, and a Bitcoin-Core-like client falling back with pcp: false.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
lab_up || exit 1
lab_policy <<YAML
metrics:
  listen: 127.0.0.1:9834
YAML
lab_start || exit 1
CTL="$PWD/$BUILD/portgatectl"
ctl() { in_ns gw "$CTL" -s "$TMPD/control.sock" "$@"; }
metric() { in_ns gw curl -s http://127.0.0.1:9834/metrics | sed -n "s/^$1 //p"; }
reloads() { grep -c "policy reloaded" "$DLOG"; }

# --- Tailscale-like ------------------------------------------------------
r=$(pmp c1 announce); echo "     $r"
check "Tailscale-like: the ANNOUNCE probe is answered (24 bytes)" 'eq "$(field size "$r")" 24'
check "... with success" 'eq "$(field result "$r")" 0'
r=$(pmp c1 pcpmap udp 41641 0 7200); echo "     $r"
check "Tailscale-like: MAP with external port 0 succeeds" 'eq "$(field result "$r")" 0'
e=$(field external "$r")
check "... with a port allocated in the range ($e)" 'in_range "$e" 20000 29999'
check "... 60 bytes" 'eq "$(field size "$r")" 60'
check "... the nonce echoed" 'eq "$(field nonce "$r")" echoed'
check "... for the policy's lifetime (7200 s)" 'eq "$(field lifetime "$r")" 7200'
r=$(pmp c1 pcpmap udp 41641 0 7200); echo "     $r"
check "a renewal under a new nonce keeps the port" 'eq "$(field external "$r")" "$e"'
echo_servers c1 41641 c1
check "UDP from outside to $EXT:$e reaches the client's port 41641" 'udp_says ext $EXT "$e" c1'
r=$(pmp c1 map udp 41641 0 600)
check "NAT-PMP for the same internal port answers the same forward" 'eq "$(field external "$r")" "$e"'

# --- iroh-like -----------------------------------------------------------
r=$(pmp c2 announce)
check "iroh-like: ANNOUNCE answered" 'eq "$(field result "$r")" 0'
r=$(pmp c2 pcpmap tcp 4433 0 7200); echo "     $r"
e2=$(field external "$r")
check "iroh-like: a non-zero external port" 'ge "$e2" 1'
check "iroh-like: an IPv4-mapped external address, the gateway's" 'eq "$(field extaddr "$r")" "$EXT"'
echo_servers c2 4433 c2
check "TCP from outside to $EXT:$e2 reaches the client's port 4433" 'tcp_says ext $EXT "$e2" c2'
check "portgatectl list says it came through PCP" 'ctl list | grep -qE "dynamic +pcp +tcp +$e2 "'
check "... and the NAT-PMP-renewed one says natpmp" 'ctl list | grep -qE "dynamic +natpmp +udp +$e "'

# --- PREFER_FAILURE and errors -------------------------------------------
r=$(pmp c2 pcpmap udp 5000 "$e" 600 prefer); echo "     $r"
check "PREFER_FAILURE for another peer's port: CANNOT_PROVIDE_EXTERNAL (11)" 'eq "$(field result "$r")" 11'
check "... a short-lived error (30 s)" 'eq "$(field lifetime "$r")" 30'
r=$(pmp c2 raw 02010000000000000000000000000000000000000000000000)
check "a PCP request of 25 bytes gets MALFORMED_REQUEST (3)" 'eq "$(field result "$r")" 3'
check "metrics count PCP MAP successes" 'ge "$(metric "portgate_pcp_requests_total{opcode=\"map\",result=\"success\"}")" 3'
check "metrics count PCP ANNOUNCEs" 'ge "$(metric "portgate_pcp_requests_total{opcode=\"announce\",result=\"success\"}")" 2'

# --- unsolicited ANNOUNCE on start (RFC 6887 §14.1.3) ---------------------
in_ns c1 "$PMP" $GWIN listen 4 >"$TMPD/announce" 2>&1 &
ANN=$!
wait_until 3 sh -c "ip netns exec $(ns c1) ss -Hlun 'sport = :5350' | grep -q ."
lab_stop TERM
lab_start || exit 1
wait "$ANN"
check "a restarted gateway sends each peer a PCP ANNOUNCE (port 5350)" 'grep -q "size=24 .*version=2 op=128 result=0" "$TMPD/announce"'
check "the PCP mapping survived the restart" 'udp_says ext $EXT "$e" c1'
check "... and is still known as PCP's (kept in the kernel's comment)" 'ctl list | grep -qE "dynamic +pcp +tcp +$e2 "'

# --- Bitcoin-Core-like with pcp: false -------------------------------------
n=$(reloads)
LAB_PCP=false lab_policy </dev/null
kill -HUP "$DAEMON_PID"
reloaded() { [ "$(reloads)" -gt "$n" ]; }
check "pcp: false in force" 'wait_until 3 reloaded'
r=$(pmp c2 pcpmap tcp 8333 0 7200); echo "     $r"
check "Bitcoin-Core-like: the PCP MAP gets an 8-byte answer" 'eq "$(field size "$r")" 8'
check "... result 1, unsupported version" 'eq "$(field result "$r")" 1'
r=$(pmp c2 map tcp 8333 0 7200)
e3=$(field external "$r")
check "... and its NAT-PMP fallback a port" 'ge "$e3" 1'
echo_servers c2 8333 c2
check "TCP from outside to $EXT:$e3 reaches its port 8333" 'tcp_says ext $EXT "$e3" c2'
finish
