# SPDX-License-Identifier: GPL-2.0-or-later
# libtorrent 2.0 with only UPnP on: lt_upnp.py ADDRESS PORT [HOLD_SECONDS]
# Listens on ADDRESS:PORT, prints "mapped PORT PROTOCOL" for each mapping
# its UPnP client gets (TCP and UDP; at most 30 s) and "error ..." for each
# refusal, then "ready" and, with HOLD_SECONDS, keeps listening that long so
# that a test can connect through the mapping.
import sys, time
import libtorrent as lt

s = lt.session({"enable_upnp": True, "enable_natpmp": False, "enable_lsd": False,
                "enable_dht": False, "listen_interfaces": "%s:%s" % (sys.argv[1], sys.argv[2]),
                "alert_mask": lt.alert.category_t.port_mapping_notification})
deadline = time.time() + 30
seen = set()
while time.time() < deadline and len(seen) < 2:
    s.wait_for_alert(500)
    for a in s.pop_alerts():
        if isinstance(a, lt.portmap_alert):
            print("mapped", a.external_port, a.map_protocol, flush=True)
            seen.add(str(a.map_protocol))
        elif isinstance(a, lt.portmap_error_alert):
            print("error", a.message(), flush=True)
print("ready", flush=True)
if len(sys.argv) > 3:
    time.sleep(float(sys.argv[3]))
