#!/bin/bash
# The event loop never blocks on a client (docs/security.md): a control
# client that trickles its request and tens of thousands of flows an outsider
# opened to a forwarded port, cut when the forward goes, while another peer
# asks for mappings: every answer arrives promptly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
FLOWS=20000
PROMPT_MS=100
lab_up || exit 1
LAB_RATE=0 lab_policy </dev/null	# no rate limit: c2 asks as fast as it can
lab_start || exit 1

p=$(field external "$(pmp c1 map udp 9000 0 600)")
check "c1 holds a UDP forward (port $p)" '[ -n "$p" ]'
in_ns ext "$PMP" $EXT flows $EXT "$p" $FLOWS >/dev/null
ct_flows() { in_ns gw conntrack -L -p udp --orig-port-dst "$p" 2>/dev/null | grep -c .; }
n=$(ct_flows)
# (Some of a burst this fast are lost on the way: at least half is plenty.)
check "the outsider opened $n flows to it" '[ "$n" -ge $((FLOWS / 2)) ]'

# A control client that sends one byte and then nothing.
( printf '{"comm'; sleep 30 ) | in_ns gw socat - UNIX-CONNECT:"$TMPD/control.sock" >/dev/null 2>&1 &
TRICKLE=$!; BG_PIDS="$BG_PIDS $TRICKLE"

# c2 asks 400 times in a row while the forward and its flows go.
reqs=$(for i in $(seq 1 400); do printf 'op0 -- '; done)
( sleep 0.05; pmp c1 map udp 9000 0 0 >/dev/null ) &
DEL=$!
pmp c2 $reqs >"$TMPD/answers"
wait "$DEL"
answered=$(grep -c 'result=0' "$TMPD/answers")
slowest=$(sed -n 's/.*rtt_us=\([0-9]*\).*/\1/p' "$TMPD/answers" | sort -n | tail -n 1)
echo "     400 requests during the cleanup: $answered answered, slowest ${slowest:-?} µs"
check "every request during the cleanup is answered" '[ "$answered" = 400 ]'
check "each within $PROMPT_MS ms (slowest $((${slowest:-999999} / 1000)) ms)" \
	'le "$slowest" "$((PROMPT_MS * 1000 - 1))"'
ct_gone() { [ "$(ct_flows)" = 0 ]; }
check "and all $n flows are cut" 'wait_until 10 ct_gone'
check "the trickling control client did not stop the daemon" '[ "$(field result "$(pmp c2 op0)")" = 0 ]'
finish
