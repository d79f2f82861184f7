#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Nothing lost on kernels without persistent tables (before 6.9): the
# un-owned tables outlive a kill -9, keep forwarding while no daemon runs,
# and are adopted with the same ports and a rising epoch; another program's
# change (nft flush ruleset, as Debian's nftables.service does on restart;
# a deleted or added element) is repaired at once. The un-owned mode is
# forced here (PORTGATE_TABLE_MODE=unowned), so a kernel with persistent
# tables tests it too, and then the move to the persistent mode and back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lab.sh"
export PORTGATE_TABLE_MODE=unowned
lab_up || exit 1
lab_start || exit 1
check "the start's log line names the mode" 'grep -q "un-owned tables (ip and ip6 portgate), repaired on foreign change" "$DLOG"'
# table_unowned: the ip table is there, without the owner flag.
table_unowned() { local t; t=$(in_ns gw nft list table ip portgate) && ! grep -q "flags owner" <<<"$t"; }
check "table ip portgate has no owner flag" 'table_unowned'

a=$(pmp c1 map tcp 8080 0 600); pa=$(field external "$a")
b=$(pmp c2 map udp 5000 0 600); pb=$(field external "$b")
c=$(pmp c1 map udp 6881 0 600); pc=$(field external "$c")
echo "     c1: $a"; echo "     c2: $b"; echo "     c1: $c"
echo_servers c1 8080 c1
echo_servers c2 5000 c2
check "c1's forward carries TCP from outside" 'tcp_says ext $EXT "$pa" c1'
before=$(map_elements gw)
n_before=$(grep -c . <<<"$before")
check "three mappings in the kernel" 'eq "$n_before" 3'
epoch1=$(field epoch "$(pmp c1 op0)"); t1=$(date +%s)
conn_open ext $EXT "$pa"
check "an established connection passes data" 'line_through c1 one'

# --- kill -9: the tables stay, the forwards keep forwarding --------------
lab_stop KILL
check "after kill -9 the map still holds every mapping" 'eq "$(map_elements gw)" "$before"'
check "while no daemon runs, TCP from outside reaches c1" 'tcp_says ext $EXT "$pa" c1'
check "... and UDP reaches c2" 'udp_says ext $EXT "$pb" c2'
check "... and the established connection still passes data" 'line_through c1 two'
lab_start || exit 1
check "the next daemon adopted the 3 mappings" 'grep -q "adopted 3 mappings" "$DLOG"'
check "the map is what it was" 'eq "$(map_elements gw)" "$before"'
r=$(pmp c1 map tcp 8080 0 600)
check "a renewal keeps c1's TCP port" 'eq "$(field external "$r")" "$pa"'
r=$(pmp c2 map udp 5000 0 600)
check "... and c2's UDP port" 'eq "$(field external "$r")" "$pb"'
epoch2=$(field epoch "$(pmp c1 op0)")
elapsed=$(( $(date +%s) - t1 ))
echo "     epoch before $epoch1, after $epoch2, $elapsed s later"
check "the epoch kept rising across the kill" 'ge "$epoch2" "$((epoch1 + elapsed - 1))"'
check "the established connection survived the restart" 'line_through c1 three'

# --- another program's changes are repaired -------------------------------
map_is_before() { eq "$(map_elements gw)" "$before"; }
rebuilds() { grep -c "tables re-created with 3 mappings" "$DLOG"; }
rebuilt_since() { [ "$(rebuilds)" -gt "$1" ]; }
CTL="$PWD/$BUILD/portgatectl"
# ctl_list: portgatectl list without the time left (PEER ... TARGET).
ctl_list() { in_ns gw "$CTL" -s "$TMPD/control.sock" list | awk '{ print $1, $2, $3, $4, $5, $6, $7 }'; }
list_before=$(ctl_list)
echo "$list_before" | sed 's/^/     /'
n=$(rebuilds)
check "nft flush ruleset removes the un-owned tables" 'in_ns gw nft flush ruleset'
start=$(date +%s%N)
check "within one poll (1 s) the daemon has re-created them" 'wait_until 1 rebuilt_since "$n"'
echo "     (re-created $(( ($(date +%s%N) - start) / 1000000 )) ms after the flush)"
check "... with the same mappings" 'map_is_before'
check "... the forward carries traffic again" 'tcp_says ext $EXT "$pa" c1'
check "... the trust boundary's guard rule is back" 'in_ns gw nft list chain ip portgate input | grep -q "udp dport 5351"'
check "... and the ip6 table" 'in_ns gw nft list table ip6 portgate >/dev/null'
check "... with the epoch's origin in its comment" 'in_ns gw nft list table ip portgate | grep -q "epoch-origin-ms="'
check "the mapping list portgatectl shows is unchanged" 'eq "$(ctl_list)" "$list_before"'

n=$(rebuilds)
check "a foreign nft delete element goes through (no owner)" \
	'in_ns gw nft delete element ip portgate forwards "{ tcp . $pa }"'
check "the deleted element is back within one poll" 'wait_until 1 rebuilt_since "$n"'
check "... the map is what it was" 'map_is_before'
n=$(rebuilds)
check "a foreign nft add element goes through" \
	'in_ns gw nft add element ip portgate forwards "{ tcp . 29999 : 10.66.0.3 . 22 }"'
check "... and is gone again within one poll" 'wait_until 1 rebuilt_since "$n"'
check "... the map is what it was" 'map_is_before'
n=$(rebuilds)
check "a foreign nft delete table ip6 portgate goes through" 'in_ns gw nft delete table ip6 portgate'
check "... and it is back within one poll" 'wait_until 1 rebuilt_since "$n"'
check "... with its shape" 'in_ns gw nft list set ip6 portgate pinholes >/dev/null'

# --- the persistent mode (6.9+) and back ----------------------------------
if kernel_at_least 6 9; then
	lab_stop KILL
	PORTGATE_TABLE_MODE=persistent lab_start || exit 1
	check "a persistent run takes over the un-owned tables" 'grep -q "kept in the other mode" "$DLOG"'
	check "... and makes them owned" 'in_ns gw nft list table ip portgate | grep -q "flags owner"'
	check "... with the same mappings" 'map_is_before'
	check "... that carry traffic" 'tcp_says ext $EXT "$pa" c1'
	e=$(field epoch "$(pmp c1 op0)")
	check "... and the epoch still rising" 'ge "$e" "$epoch2"'
	in_ns gw nft flush ruleset
	check "nft flush ruleset leaves the owned tables" 'map_is_before'
	lab_stop KILL
	lab_start || exit 1
	check "an un-owned run takes the persistent tables back" 'table_unowned'
	check "... with the same mappings" 'map_is_before'
	check "... that carry traffic" 'tcp_says ext $EXT "$pa" c1'
	e2=$(field epoch "$(pmp c1 op0)")
	check "... and the epoch still rising" 'ge "$e2" "$e"'
else
	skip "moves between the persistent and the un-owned mode" "kernel $(uname -r) < 6.9"
fi
kill "${CONN_PID:-}" 2>/dev/null
finish
