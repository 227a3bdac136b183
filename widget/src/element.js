// <kassa-checkout order-id client-secret edge locale theme return-url merchant-name> (SPEC 8): a thin custom
// element over `mount`. A module file, not inline script or eval, so a CSP with only
// `script-src 'self' 'wasm-unsafe-eval'` allows it. Attributes become mount options;
// a change re-mounts; removal from the document destroys the widget.
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
      };
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
