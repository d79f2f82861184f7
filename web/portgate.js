// SPDX-License-Identifier: GPL-2.0-or-later
// The portgate web page: reads the HTTP API with the operator's token
// (kept for this tab only), lists peers and their forwards, refreshes
// itself, adds and removes static forwards. No framework, no build step.
"use strict";

const REFRESH_MS = 3000;
const $ = (id) => document.getElementById(id);
let timer = null;

function token() { return sessionStorage.getItem("portgate-token"); }

function say(text, ok) {
  const m = $("message");
  m.textContent = text;
  m.className = ok ? "ok" : "";
  m.hidden = !text;
}

async function call(method, path, body) {
  const r = await fetch(path, {
    method,
    headers: Object.assign({ Authorization: "Bearer " + token() },
                           body ? { "Content-Type": "application/json" } : {}),
    body: body ? JSON.stringify(body) : undefined,
  });
  let data = {};
  try { data = await r.json(); } catch (e) { /* an empty or non-JSON answer */ }
  if (r.status === 401) {
    signOut("The token was refused.");
    throw new Error("unauthorized");
  }
  if (!r.ok) throw new Error(data.error || ("HTTP " + r.status));
  return data;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

function ago(sec) {
  if (!sec) return "never";
  const s = Math.max(0, Math.round(Date.now() / 1000 - sec));
  if (s < 120) return s + " s ago";
  if (s < 7200) return Math.round(s / 60) + " min ago";
  return Math.round(s / 3600) + " h ago";
}

function left(m) {
  if (m.lifetime === null || m.lifetime === undefined) return "never expires";
  return m.remaining + " s of " + m.lifetime + " s";
}

function peerLabel(p) { return p.name || p.key.slice(0, 8) + "…"; }

function removeButton(peerKey, protocol, port) {
  const b = el("button", "Remove", "remove");
  b.type = "button";
  b.dataset.port = port;
  b.addEventListener("click", async () => {
    try {
      await call("DELETE", "/api/clients/" + encodeURIComponent(peerKey) +
                 "/portforwards/" + protocol + "/" + port);
      say("Removed " + protocol + " " + port + ".", true);
      refresh();
    } catch (e) { if (e.message !== "unauthorized") say(e.message); }
  });
  return b;
}

// Rows of one peer: its mappings (dynamic and installed static ones), and
// its static forwards that are not installed (the peer is away).
function peerRows(key, mappings, forwards) {
  const rows = [];
  for (const m of mappings.filter((x) => x.peer === key)) {
    const target = (m.family === "ipv6" ? "[" + m.internal_address + "]" : m.internal_address) +
                   ":" + m.internal_port;
    const f = forwards.find((x) => x.peer === key && x.external === m.external_port &&
                            (x.protocol === m.protocol || x.protocol === "both"));
    const removable = m.kind === "dynamic" || (f && f.origin === "runtime");
    const via = f && f.origin === "runtime" ? "run time" : m.via;
    rows.push([m.kind, m.protocol, m.external_port + " → " + target, via, left(m),
               removable ? removeButton(key, m.protocol, m.external_port) : null, m.kind]);
  }
  for (const f of forwards.filter((x) => x.peer === key && !x.installed))
    rows.push(["static (peer away)", f.protocol, f.external + " → " + (f.address || "peer") +
               ":" + f.internal, f.origin === "runtime" ? "run time" : "policy", "never expires",
               f.origin === "runtime" ? removeButton(key, f.protocol, f.external) : null, "static"]);
  return rows;
}

function peerCard(p, mappings, forwards) {
  const card = el("div", undefined, "peer");
  card.dataset.key = p.key;
  card.appendChild(el("h3", peerLabel(p)));
  card.appendChild(el("p", p.key + " · " + (p.allowed_ips.join(", ") || "no address") +
                      " · handshake " + ago(p.last_handshake) + (p.denied ? " · denied" : ""),
                      "meta"));
  const rows = peerRows(p.key, mappings, forwards);
  const table = el("table");
  const head = table.createTHead().insertRow();
  for (const h of ["Kind", "Protocol", "External → internal", "Via", "Remaining", ""])
    head.appendChild(el("th", h));
  const body = table.createTBody();
  if (!rows.length) {
    const td = body.insertRow().insertCell();
    td.colSpan = 6;
    td.textContent = "no forwards";
    td.className = "none";
  }
  for (const r of rows) {
    const tr = body.insertRow();
    tr.className = "kind-" + r[6];
    for (let i = 0; i < 5; i++) tr.insertCell().textContent = r[i];
    const c = tr.insertCell();
    if (r[5]) c.appendChild(r[5]);
  }
  card.appendChild(table);
  return card;
}

// Rebuilt only when the peers changed: an open list is not pulled away
// from under the user's choice at every refresh.
function fillPeerSelect(peers) {
  const sel = $("add-peer");
  const chosen = sel.value;
  const wanted = peers.map((p) => p.key + "=" + peerLabel(p)).join(",");
  if (sel.dataset.peers === wanted) return;
  sel.dataset.peers = wanted;
  sel.replaceChildren(...peers.map((p) => {
    const o = el("option", peerLabel(p));
    o.value = p.key;
    return o;
  }));
  if (chosen) sel.value = chosen;
}

async function refresh() {
  clearTimeout(timer);
  try {
    const [status, peers, maps, fwds] = await Promise.all([
      call("GET", "/api/status"), call("GET", "/api/peers"),
      call("GET", "/api/portforwards"), call("GET", "/api/forwards")]);
    $("summary").textContent = "external " + (status.external_address || "unknown") +
      " · " + status.interface + " · " + status.peers + " peers · up " + status.uptime + " s";
    $("peers").replaceChildren(...peers.peers.map((p) => peerCard(p, maps.mappings, fwds.forwards)));
    fillPeerSelect(peers.peers);
    $("login").hidden = true;
    $("view").hidden = false;
    $("logout").hidden = false;
    timer = setTimeout(refresh, REFRESH_MS);
  } catch (e) {
    if (e.message === "unauthorized") return;
    say("Cannot reach portgated: " + e.message);
    timer = setTimeout(refresh, REFRESH_MS);
  }
}

function signOut(why) {
  clearTimeout(timer);
  sessionStorage.removeItem("portgate-token");
  $("view").hidden = true;
  $("logout").hidden = true;
  $("login").hidden = false;
  $("summary").textContent = "";
  say(why || "");
}

$("login").addEventListener("submit", (ev) => {
  ev.preventDefault();
  sessionStorage.setItem("portgate-token", $("token").value.trim());
  $("token").value = "";
  say("");
  refresh();
});

$("logout").addEventListener("click", () => signOut(""));

$("add").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const body = { protocol: $("add-protocol").value, external: Number($("add-external").value) };
  if ($("add-internal").value) body.internal = Number($("add-internal").value);
  if ($("add-address").value.trim()) body.address = $("add-address").value.trim();
  try {
    const r = await call("POST", "/api/clients/" + encodeURIComponent($("add-peer").value) +
                         "/portforwards", body);
    say("Added " + body.protocol + " " + body.external +
        (r.installed ? "." : " (installed when the peer is back)."), true);
    $("add").reset();
    refresh();
  } catch (e) { if (e.message !== "unauthorized") say(e.message); }
});

if (token()) refresh();
