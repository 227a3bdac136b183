// The demo shop: asks its own backend for an order (the backend holds the merchant key),
// then mounts the Kassa widget. No inline script: the page runs under a strict CSP, and
// any CSP violation is shown in the event list (the browser tests assert there is none).
import init, { mount } from "/kassa/kassa.js";

const $ = (id) => document.getElementById(id);
const item = (list, text) => {
  const li = document.createElement("li");
  li.textContent = text;
  $(list).append(li);
};
const log = (name, detail) => item("events", `${name} ${JSON.stringify(detail ?? null)}`);

window.kassaDemo = { cspViolations: [] };
document.addEventListener("securitypolicyviolation", (e) => {
  const v = { directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample };
  window.kassaDemo.cspViolations.push(v);
  log("csp:violation", v);
});

let handle = null;
let current = null; // { id, secret }
const ready = init();

function show(order, edge, locale) {
  const el = $("checkout");
  if (handle) handle.destroy();
  current = { id: order.id, secret: order.client_secret };
  // Every channel but the wallet leaves the page for the provider's, which sends the
  // shopper back to `returnUrl`; the order is remembered for this tab to resume it.
  // The product and shopper go with it, so the page the shopper returns to shows what
  // they were buying rather than the form's defaults.
  const chosen = { product: $("product").value, user: $("user").value };
  sessionStorage.setItem("kassa-demo-order", JSON.stringify({ ...current, ...chosen, edge, locale }));
  $("inbox").replaceChildren();
  const returnUrl = `${location.origin}/?order=${encodeURIComponent(order.id)}`;
  handle = mount(el, { orderId: order.id, clientSecret: order.client_secret, edge, locale, returnUrl });
}

for (const type of ["ready", "paid", "failed", "expired", "cancelled", "error"]) {
  $("checkout").addEventListener(`kassa:${type}`, (e) => log(`kassa:${type}`, e.detail));
}

$("shop").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  await ready;
  const body = { product: $("product").value, user: $("user").value };
  if ($("expiry").value) body.expires_in = Number($("expiry").value);
  const res = await fetch("/demo/orders", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const answer = await res.json().catch(() => null);
  if (!res.ok) { log("demo:error", answer); return; }
  const { order, edge } = answer;
  log("demo:order", { id: order.id, channel: order.channel });
  show(order, edge, $("locale").value);
});

async function userAction(action) {
  const res = await fetch(`/demo/users/${encodeURIComponent($("user").value)}/${action}`, { method: "POST" });
  const v = await res.json().catch(() => null);
  if (!res.ok) { $("notice").textContent = `${action}: ${JSON.stringify(v)}`; return; }
  $("notice").textContent = action === "ga"
    ? `Authenticator secret (add it to your app): ${v.secret}`
    : `${$("user").value} is trusted: small orders pay without a code on a known device.`;
}
$("enrol-ga").addEventListener("click", () => userAction("ga"));
$("trust").addEventListener("click", () => userAction("trusted"));

// The development inbox and the webhooks, refreshed while the page is open.
const seenCodes = new Set();
const seenHooks = new Set();
async function refresh() {
  if (current) {
    const res = await fetch(`/demo/outbox?order_id=${current.id}`).catch(() => null);
    const v = res && res.ok ? await res.json() : null;
    for (const m of v?.data ?? []) {
      const key = `${current.id}/${m.send_id}`;
      if (seenCodes.has(key)) continue;
      seenCodes.add(key);
      item("inbox", `order ${current.id} code ${m.code}`);
    }
  }
  const res = await fetch("/demo/webhooks").catch(() => null);
  const v = res && res.ok ? await res.json() : null;
  for (const w of v?.data ?? []) {
    if (seenHooks.has(w.id)) continue;
    seenHooks.add(w.id);
    item("webhooks", `${w.type} order ${w.order_id} ${w.status}`);
  }
}
setInterval(refresh, 1000);

// Back from the provider: resume the order this tab was paying. The URL names only
// the order; the widget asks the edge how it stands.
const back = new URLSearchParams(location.search);
const stored = JSON.parse(sessionStorage.getItem("kassa-demo-order") ?? "null");
// (A Paytm page that posts the result itself and returns with ?ORDERID={order}A{attempt}
// is resumed the same way.)
const returned = back.get("order") ?? ((back.get("ORDERID") ?? "").split("A")[0] || null);
if (returned && stored && stored.id === returned) {
  log("demo:return", { id: stored.id });
  $("locale").value = stored.locale;
  if (stored.product) $("product").value = stored.product;
  if (stored.user) $("user").value = stored.user;
  ready.then(() => show({ id: stored.id, client_secret: stored.secret }, stored.edge, stored.locale));
}
