#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# keepalived's notify script for a portgate pair (the usual conntrackd
# recipe): primary commits the flows replicated from the other box into the
# kernel, backup asks for a resync. The WireGuard interface (WG_IFACE) is up
# on the primary only: a backup with the same keys would otherwise talk to
# the clients (portgated's announcements start a handshake) and WireGuard's
# roaming would move them to the backup.
#   primary-backup.sh primary|backup|fault
#   (CONNTRACKD_CONF names conntrackd's file, WG_IFACE the tunnel: wg0)
conf=${CONNTRACKD_CONF:-/etc/conntrackd/conntrackd.conf}
wg=${WG_IFACE:-wg0}
ctl() { conntrackd -C "$conf" "$@"; }
case "$1" in
primary)
	ip link set "$wg" up
	ctl -c		# commit the external cache into the kernel
	ctl -f		# flush the caches
	ctl -R		# resync with the kernel table
	ctl -B		# send a bulk update to the other box
	;;
backup)
	ip link set "$wg" down
	ctl -n		# request a resync from the other box
	ctl -B
	;;
fault)
	ip link set "$wg" down
	ctl -t		# shorten the kernel timers of what was ours
	;;
*)
	echo "usage: $0 primary|backup|fault" >&2
	exit 2
	;;
esac
