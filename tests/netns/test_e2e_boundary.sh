#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The trust boundary (docs/security.md): only datagrams that came through
# the WireGuard interface speak for a peer, and nobody else can take the
# NAT-PMP socket. The outside host forges requests with c1's tunnel address
# as the source, sent to the gateway's tunnel address over the external link
# (Linux accepts them there: weak host model), with rp_filter loose and off.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
lab_up || exit 1
lab_start || exit 1

elements() { map_elements gw; }
guard_drops() { in_ns gw nft list chain ip portgate input | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'; }

# A real mapping of c1's, which the forger will try to delete.
p=$(field external "$(pmp c1 map tcp 8080 0 600)")
check "c1 holds a mapping (port $p)" '[ -n "$p" ]'
echo_servers c1 8080 c1

# The outside host takes c1's tunnel address and routes to the gateway's.
in_ns ext ip addr add 10.66.0.2/32 dev eth0
in_ns ext ip route add $GWIN/32 via $EXT
forge() { in_ns ext "$PMP" -s -b 10.66.0.2 $GWIN "$@" >/dev/null; }

# Each forged kind leaves a trace if it is served: a create a forward to
# port 22, a renewal a 2-hour timeout, a delete-all no forward at all.
guard_passed() { [ "$(guard_drops)" -ge "$1" ]; }
for rpf in 2 0; do
	in_ns gw sysctl -qw net.ipv4.conf.all.rp_filter=$rpf net.ipv4.conf.eth0.rp_filter=$rpf
	before=$(elements); drops=$(guard_drops)
	forge map tcp 22 22 600 -- map udp 22 22 600
	wait_until 2 guard_passed $((${drops:-0} + 2))
	check "rp_filter=$rpf: a forged create opens nothing (no forward to c1's port 22)" \
		'! map_elements gw | grep -q " 10.66.0.2 22$"'
	after=$(elements)
	check "rp_filter=$rpf: ... and the kernel map is as it was" 'eq "$before" "$after"'
	for i in $(seq 1 30); do forge map tcp 8080 0 7200; done
	wait_until 2 guard_passed $((${drops:-0} + 32))
	check "rp_filter=$rpf: forged renewals do not stretch c1's lifetime (still 600 s)" \
		'map_has gw "tcp . $p timeout 10m10s "'
	forge map tcp 8080 0 0 -- map tcp 0 0 0 -- map udp 0 0 0
	wait_until 2 guard_passed $((${drops:-0} + 35))
	check "rp_filter=$rpf: forged deletes leave c1's forward" 'map_has gw "tcp . $p "'
	check "rp_filter=$rpf: the kernel's guard dropped every forged datagram ($(guard_drops) in all)" \
		'ge "$(guard_drops)" "$((${drops:-999999} + 35))"'
	check "rp_filter=$rpf: the real c1 is still served" '[ "$(field result "$(pmp c1 op0)")" = 0 ]'
	check "rp_filter=$rpf: c1's forward still carries traffic" 'tcp_says ext $EXT "$p" c1'
	r=$(pmp c1 map tcp 8080 0 600)
	check "rp_filter=$rpf: c1 renews and keeps its port (rate tokens not burnt)" 'eq "$(field external "$r")" "$p"'
done

# The gateway's own services are never handed out: a TCP listener and a
# UDP socket of the gateway, inside the port range, suggested exactly.
bg_ns gw socat TCP-LISTEN:21000,reuseaddr,fork EXEC:/bin/cat
bg_ns gw socat -u UDP-RECVFROM:21001,fork -
wait_until 5 sh -c "ip netns exec $(ns gw) ss -Hltn 'sport = :21000' | grep -q ."
wait_until 5 sh -c "ip netns exec $(ns gw) ss -Hlun 'sport = :21001' | grep -q ."
r=$(pmp c1 map tcp 7100 21000 600); t=$(field external "$r")
check "a suggested port with a local TCP listener is not granted (got $t)" 'ne "$t" 21000'
r=$(pmp c1 map udp 7101 21001 600); u=$(field external "$r")
check "a suggested port with a local UDP socket is not granted (got $u)" 'ne "$u" 21001'
r=$(pmp c1 map tcp 7102 21002 600)
check "a free port is granted as suggested" 'eq "$(field external "$r")" 21002'
bg_ns gw socat TCP-LISTEN:21002,reuseaddr,fork EXEC:/bin/cat
check "a service that starts later on a mapped port gets it back (next poll)" \
	'wait_until 3 map_lacks gw tcp 21002'
check "and the log names the port" 'grep -q "a local service now uses tcp port 21002" "$DLOG"'

# Nobody else takes the socket: no SO_REUSEADDR, so an unprivileged process
# that asks for the same address and port is refused.
steal() {
	in_ns gw timeout 2 setpriv --reuid=nobody --regid=nogroup --clear-groups \
		socat -u UDP-RECVFROM:5351,bind=$GWIN,reuseaddr - >/dev/null 2>&1
	[ $? = 1 ]	# socat's own failure (bind), not timeout's 124
}
check "an unprivileged process cannot bind $GWIN:5351 (with SO_REUSEADDR)" 'steal'
check "and the daemon keeps answering" '[ "$(field result "$(pmp c1 op0)")" = 0 ]'

# A daemon that finds its address:5351 taken says so and does not start.
lab_stop TERM
bg_ns gw socat -u UDP-RECVFROM:5351,bind=$GWIN - 
wait_until 3 daemon_listening
ip netns exec "$(ns gw)" "$PGD" -f -c "$CONF" >"$TMPD/taken.log" 2>&1
rc=$?
check "with $GWIN:5351 taken, portgated exits with an error ($rc)" '[ "$rc" = 1 ]'
check "and says who to look for" 'grep -q "5351 is taken by another process" "$TMPD/taken.log"'

# A control group that does not exist is a start-up error, not a daemon
# without a control socket.
kill $BG_PIDS 2>/dev/null
sed 's|^  socket: .*|&\n  group: pgnosuchgroup|' "$CONF" >"$TMPD/nogroup.yaml"
ip netns exec "$(ns gw)" "$PGD" -f -c "$TMPD/nogroup.yaml" >"$TMPD/nogroup.log" 2>&1
rc=$?
check "with control.group missing, portgated exits with an error ($rc)" '[ "$rc" = 1 ]'
check "and names the group" 'grep -q "group pgnosuchgroup (control.group) does not exist" "$TMPD/nogroup.log"'
finish
