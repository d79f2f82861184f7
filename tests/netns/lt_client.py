# SPDX-License-Identifier: GPL-2.0-or-later
# A libtorrent (python3-libtorrent, Debian's) session as a torrent client
# runs it: NAT-PMP on, UPnP off, listening on the port given. It finds the
# gateway from the default route, tries PCP first and maps its listen port;
# every port-mapping alert is printed, and for each mapping that succeeded a
# line "portmap EXTERNAL PROTOCOL TRANSPORT". Runs for the seconds given,
# or until SIGTERM, then ends the session (which deletes its mappings).
#   /usr/bin/python3 lt_client.py LISTEN_PORT SECONDS [ADDRESS]
# ADDRESS: what it listens on, 0.0.0.0 (IPv4, the default) or :: (IPv6,
# where libtorrent speaks PCP only).
import signal
import sys
import time

import libtorrent as lt

listen, seconds = int(sys.argv[1]), float(sys.argv[2])
address = sys.argv[3] if len(sys.argv) > 3 else '0.0.0.0'
if ':' in address:
    address = '[%s]' % address
cat = lt.alert.category_t
session = lt.session({
    'listen_interfaces': '%s:%d' % (address, listen),
    'enable_natpmp': True,
    'enable_upnp': False,
    'enable_lsd': False,
    'enable_dht': False,
    'alert_mask': cat.port_mapping_notification | cat.port_mapping_log_notification
    | cat.error_notification | cat.status_notification,
})
deadline = time.monotonic() + seconds
stop = []
signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
while time.monotonic() < deadline and not stop:
    session.wait_for_alert(500)
    for a in session.pop_alerts():
        print(type(a).__name__, a.message(), flush=True)
        if isinstance(a, lt.portmap_alert):
            print('portmap', a.external_port, a.map_protocol, a.map_transport, flush=True)
del session
