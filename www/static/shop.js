// The demo shop: asks its own backend for an order (the backend holds the merchant key),
// then mounts the Kassa widget. No inline script: the page runs under a strict CSP.
import init, { mount } from "/kassa/kassa.js";

const log = (name, detail) => {
  const li = document.createElement("li");
  li.textContent = `${name} ${JSON.stringify(detail ?? null)}`;
  document.getElementById("events").append(li);
};

let handle = null;

document.getElementById("buy").addEventListener("click", async () => {
  await init();
  const res = await fetch("/demo/orders", { method: "POST" });
  if (!res.ok) { log("demo:error", await res.text()); return; }
  const { order, edge } = await res.json();
  log("demo:order", { id: order.id });
  const el = document.getElementById("checkout");
  for (const type of ["ready", "paid", "failed", "expired", "cancelled", "error"]) {
    el.addEventListener(`kassa:${type}`, (e) => log(`kassa:${type}`, e.detail));
  }
  if (handle) handle.destroy();
  handle = mount(el, {
    orderId: order.id,
    clientSecret: order.client_secret,
    edge,
    locale: document.getElementById("locale").value,
  });
});
