#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The event loop never blocks on a client (docs/security.md): a control
# client that trickles its request and tens of thousands of flows an outsider
# opened to a forwarded port, cut when the forward goes, or to a port before
# it was forwarded, cut when the forward comes, while another peer asks for
# mappings: every answer arrives promptly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
FLOWS=20000
PROMPT_MS=100
lab_up || exit 1
LAB_RATE=0 lab_policy <<YAML	# no rate limit: c2 asks as fast as it can
metrics:
  listen: 127.0.0.1:9836
YAML
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

# Flows sent to a port before it is forwarded have entries nothing NATed:
# the new forward cuts them (else they would never reach it), a slice per
# turn of the loop.
q=25500
in_ns ext "$PMP" $EXT flows $EXT $q $FLOWS >/dev/null
unnated() { in_ns gw conntrack -L -p udp --orig-port-dst $q --reply-src $EXT 2>/dev/null | grep -c .; }
m=$(unnated)
check "the outsider opened $m flows to port $q, which nobody forwards" '[ "$m" -ge $((FLOWS / 2)) ]'
metric() { in_ns gw curl -s http://127.0.0.1:9836/metrics | sed -n "s/^$1 //p"; }
deleted=$(metric portgate_conntrack_deleted_total)
( sleep 0.05; pmp c1 map udp 9100 $q 600 >"$TMPD/mapped" ) &
MAP=$!
pmp c2 $reqs >"$TMPD/answers"
wait "$MAP"
answered=$(grep -c 'result=0' "$TMPD/answers")
slowest=$(sed -n 's/.*rtt_us=\([0-9]*\).*/\1/p' "$TMPD/answers" | sort -n | tail -n 1)
echo "     400 requests during the cut: $answered answered, slowest ${slowest:-?} µs"
check "c1 got the port $q" 'eq "$(field external "$(cat "$TMPD/mapped")")" $q'
check "every request during the cut is answered" '[ "$answered" = 400 ]'
check "each within $PROMPT_MS ms (slowest $((${slowest:-999999} / 1000)) ms)" \
	'le "$slowest" "$((PROMPT_MS * 1000 - 1))"'
unnated_gone() { [ "$(unnated)" = 0 ]; }
check "and all $m un-NATed flows are cut" 'wait_until 10 unnated_gone'
deleted_grew() { ge "$(metric portgate_conntrack_deleted_total)" $((deleted + m)); }
check "by the daemon (portgate_conntrack_deleted_total grew by $m or more)" 'wait_until 2 deleted_grew'
finish
