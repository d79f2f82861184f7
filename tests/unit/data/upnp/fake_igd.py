#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# A recording fake IGD for capturing what real UPnP clients send (run by
# ./capture inside a namespace; not part of any test run). It answers
# M-SEARCH with a unicast LOCATION, serves a minimal IGD v1 or v2
# description, answers every SOAP action with plausible values, and writes
# each datagram and each HTTP request, byte for byte as received, to OUTDIR.
#   fake_igd.py ADDR PORT IFINDEX VERSION(1|2) OUTDIR PREFIX
import os
import re
import socket
import struct
import sys
import threading

addr, port, ifindex, ver, outdir, prefix = sys.argv[1:7]
port, ifindex, ver = int(port), int(ifindex), int(ver)
seq = [0]
lock = threading.Lock()


def save(kind, data):
    with lock:
        seq[0] += 1
        name = "%s/%s-%02d-%s" % (outdir, prefix, seq[0], kind)
    with open(name, "wb") as f:
        f.write(data)


IGD = "urn:schemas-upnp-org:device:InternetGatewayDevice:%d" % ver
IPC = "urn:schemas-upnp-org:service:WANIPConnection:%d" % ver
CIC = "urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1"
DESC = """<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0"><specVersion><major>1</major><minor>0</minor></specVersion>
<device><deviceType>%s</deviceType><friendlyName>fake</friendlyName><manufacturer>x</manufacturer>
<modelName>x</modelName><UDN>uuid:00000000-0000-0000-0000-000000000001</UDN><serviceList/>
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:%d</deviceType>
<friendlyName>wan</friendlyName><manufacturer>x</manufacturer><modelName>x</modelName>
<UDN>uuid:00000000-0000-0000-0000-000000000002</UDN>
<serviceList><service><serviceType>%s</serviceType><serviceId>urn:upnp-org:serviceId:WANCommonIFC1</serviceId>
<SCPDURL>/WANCfg.xml</SCPDURL><controlURL>/ctl/CmnIfCfg</controlURL><eventSubURL>/evt/CmnIfCfg</eventSubURL></service></serviceList>
<deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:%d</deviceType>
<friendlyName>wanconn</friendlyName><manufacturer>x</manufacturer><modelName>x</modelName>
<UDN>uuid:00000000-0000-0000-0000-000000000003</UDN>
<serviceList><service><serviceType>%s</serviceType><serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>
<SCPDURL>/WANIPCn.xml</SCPDURL><controlURL>/ctl/IPConn</controlURL><eventSubURL>/evt/IPConn</eventSubURL></service></serviceList>
</device></deviceList></device></deviceList></device></root>""" % (IGD, ver, CIC, ver, IPC)

ENTRY = dict(NewRemoteHost="", NewExternalPort="40000", NewProtocol="TCP",
             NewInternalPort="8080", NewInternalClient="192.0.2.2", NewEnabled="1",
             NewPortMappingDescription="libminiupnpc", NewLeaseDuration="3600")
LISTING = ('<?xml version="1.0" encoding="UTF-8"?><p:PortMappingList '
           'xmlns:p="urn:schemas-upnp-org:gw:WANIPConnection" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:schemaLocation="urn:schemas-upnp-org:gw:WANIPConnection '
           'http://www.upnp.org/schemas/gw/WANIPConnection-v2.xsd"></p:PortMappingList>')
ANSWERS = {
    "GetExternalIPAddress": dict(NewExternalIPAddress="203.0.113.7"),
    "GetStatusInfo": dict(NewConnectionStatus="Connected", NewLastConnectionError="ERROR_NONE", NewUptime="100"),
    "GetConnectionTypeInfo": dict(NewConnectionType="IP_Routed", NewPossibleConnectionTypes="IP_Routed"),
    "GetCommonLinkProperties": dict(NewWANAccessType="Ethernet", NewLayer1UpstreamMaxBitRate="1000000000",
                                    NewLayer1DownstreamMaxBitRate="1000000000", NewPhysicalLinkStatus="Up"),
    "GetTotalBytesSent": dict(NewTotalBytesSent="0"),
    "GetTotalBytesReceived": dict(NewTotalBytesReceived="0"),
    "GetTotalPacketsSent": dict(NewTotalPacketsSent="0"),
    "GetTotalPacketsReceived": dict(NewTotalPacketsReceived="0"),
    "AddPortMapping": {},
    "AddAnyPortMapping": dict(NewReservedPort="40001"),
    "DeletePortMapping": {},
    "DeletePortMappingRange": {},
    "GetSpecificPortMappingEntry": {k: ENTRY[k] for k in ("NewInternalPort", "NewInternalClient", "NewEnabled",
                                                          "NewPortMappingDescription", "NewLeaseDuration")},
    "GetGenericPortMappingEntry": ENTRY,
    "GetListOfPortMappings": dict(NewPortListing=LISTING.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")),
}


def soap(service, action, args):
    body = "".join("<%s>%s</%s>" % (k, v, k) for k, v in args.items())
    return ('<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
            's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
            '<u:%sResponse xmlns:u="%s">%s</u:%sResponse></s:Body></s:Envelope>\r\n'
            % (action, service, body, action))


FAULT = ('<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
         's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><s:Fault>'
         '<faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>'
         '<UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>713</errorCode>'
         '<errorDescription>SpecifiedArrayIndexInvalid</errorDescription></UPnPError>'
         '</detail></s:Fault></s:Body></s:Envelope>\r\n')


def http_conn(conn):
    conn.settimeout(5)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
        need = int(m.group(1)) if m else 0
        while len(body) < need:
            chunk = conn.recv(4096)
            if not chunk:
                break
            body += chunk
        line = head.split(b"\r\n", 1)[0].decode()
        if line.startswith("GET"):
            save("get.http", head + b"\r\n\r\n" + body)
            out, status = DESC.encode(), "200 OK"
            ctype = "text/xml"
        else:
            m = re.search(rb'(?im)^soapaction:\s*"?([^#"]*)#([A-Za-z]+)', head)
            service, action = m.group(1).decode(), m.group(2).decode()
            save(action + ".http", head + b"\r\n\r\n" + body)
            generic = action == "GetGenericPortMappingEntry"
            if generic and b"<NewPortMappingIndex>0<" not in body:
                out, status = FAULT.encode(), "500 Internal Server Error"
            else:
                out, status = soap(service, action, ANSWERS[action]).encode(), "200 OK"
            ctype = 'text/xml; charset="utf-8"'
        conn.sendall(("HTTP/1.1 %s\r\nContent-Type: %s\r\nConnection: close\r\n"
                      "Content-Length: %d\r\n\r\n" % (status, ctype, len(out))).encode() + out)
    finally:
        conn.close()


def http_server():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    while True:
        c, _ = s.accept()
        threading.Thread(target=http_conn, args=(c,), daemon=True).start()


def ssdp_server():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 1900))
    mreq = struct.pack("4s4si", socket.inet_aton("239.255.255.250"), socket.inet_aton("0.0.0.0"), ifindex)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    while True:
        data, src = s.recvfrom(2048)
        if not data.startswith(b"M-SEARCH"):
            continue
        save("msearch.udp", data)
        m = re.search(rb"(?im)^st:\s*(\S+)", data)
        st = m.group(1).decode() if m else "upnp:rootdevice"
        if st == "ssdp:all":
            st = IGD
        s.sendto(("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nST: %s\r\n"
                  "USN: uuid:00000000-0000-0000-0000-000000000001::%s\r\nEXT:\r\n"
                  "SERVER: Linux UPnP/1.1 fake/1\r\nLOCATION: http://%s:%d/rootDesc.xml\r\n\r\n"
                  % (st, st, addr, port)).encode(), src)


threading.Thread(target=http_server, daemon=True).start()
print("ready", flush=True)
ssdp_server()
