// <kassa-checkout order-id client-secret edge locale theme return-url merchant-name> (SPEC 8): a thin custom
// element over `mount`. A module file, not inline script or eval, so a CSP with only
// `script-src 'self' 'wasm-unsafe-eval'` allows it. Attributes become mount options;
// a change re-mounts; removal from the document destroys the widget.
//
// Loading this file (it is imported by kassa.js, so it runs before the wasm is fetched
// and compiled) also starts each <kassa-checkout> already in the page on its order: the
// `load_pay_data` request goes out now, in parallel with the wasm, and `mount` takes its
// answer (`earlyLoad`) only if it is exactly the request the widget would send
// (`api::FirstLoad` in Rust, which owns the edge's API; this is a guess it checks).
const early = new WeakMap();

function startEarly(el) {
  const edge = (el.getAttribute("edge") || "").replace(/\/+$/, "");
  const id = el.getAttribute("order-id");
  const secret = el.getAttribute("client-secret");
  // The secret goes only where the widget itself would send it (`options::check_edge`,
  // issue 14): https, or plain http on this machine.
  const safe = /^https:\/\//.test(edge) ||
    /^http:\/\/(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])(:\d+)?$/i.test(edge);
  if (!safe || !id || !secret) return;
  const query = new URLSearchParams({ order_id: id });
  let device = null;
  try {
    device = localStorage.getItem("kassa:device");
  } catch (_) {
    // Storage blocked: the widget sends no device id either.
  }
  if (device) query.append("device_id", device);
  const url = `${edge}/api/payment/order/load_pay_data?${query}`;
  const auth = `Bearer ${secret}`;
  const response = fetch(url, { headers: { Authorization: auth } });
  // Handled by whoever takes it; an answer nobody takes must not be an unhandled rejection.
  response.catch(() => {});
  early.set(el, { url, auth, response });
}

if (typeof document !== "undefined") {
  for (const el of document.querySelectorAll("kassa-checkout")) startEarly(el);
}

export function defineKassaCheckout(mount) {
  if (typeof customElements === "undefined" || customElements.get("kassa-checkout")) {
    return;
  }
  const ATTRS = [
    "order-id", "client-secret", "edge", "locale", "theme", "return-url", "merchant-name",
  ];
  class KassaCheckout extends HTMLElement {
    static get observedAttributes() {
      return ATTRS;
    }
    connectedCallback() {
      this._mount();
    }
    disconnectedCallback() {
      this._unmount();
    }
    attributeChangedCallback(_name, before, after) {
      // Initial attributes arrive before connectedCallback, which mounts once.
      if (this.isConnected && this._handle && before !== after) {
        this._mount();
      }
    }
    _unmount() {
      if (this._handle) {
        this._handle.destroy();
        this._handle.free();
        this._handle = null;
      }
    }
    _mount() {
      this._unmount();
      const get = (name) => this.getAttribute(name) ?? undefined;
      const options = {
        orderId: get("order-id"),
        clientSecret: get("client-secret"),
        edge: get("edge"),
        locale: get("locale"),
        theme: get("theme"),
        returnUrl: get("return-url"),
        merchantName: get("merchant-name"),
        // Once: a re-mount (changed attributes) loads anew.
        earlyLoad: early.get(this),
      };
      early.delete(this);
      try {
        this._handle = mount(this, options);
      } catch (e) {
        // Bad attributes: the page hears it the way it hears every other failure.
        this.dispatchEvent(new CustomEvent("kassa:error", {
          bubbles: true,
          composed: true,
          detail: {
            orderId: options.orderId ?? "",
            code: "options",
            message: String((e && e.message) || e),
            retryable: false,
          },
        }));
      }
    }
  }
  customElements.define("kassa-checkout", KassaCheckout);
}
