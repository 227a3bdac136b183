// TypeScript declarations for the Kassa checkout widget (ES module `kassa.js`).
//
//   import init, { mount } from "./kassa/kassa.js";
//   await init();
//   const handle = mount(document.querySelector("#pay")!, {
//     orderId: "476682884348973312", clientSecret, edge: "https://edge.example", locale: "zh-CN",
//   });
//   el.addEventListener("kassa:paid", (e) => console.log(e.detail.orderId));
//   handle.destroy();
//
// Or, once the module is loaded (loading it defines the element):
//   <kassa-checkout order-id="476682884348973312" client-secret="…"
//                   edge="https://edge.example" locale="zh-CN" theme="dark"></kassa-checkout>

/** Options for {@link mount}. Unknown keys are ignored. */
export interface MountOptions {
  /** The order to pay: a decimal string (S2 ids exceed 2^53; a number is accepted only if exact). */
  orderId: string;
  /** The short-lived `client_secret` the merchant backend obtained for this order. Never the merchant key. */
  clientSecret: string;
  /** The edge's base URL, `https://…` (or `http://` in development). */
  edge: string;
  /** BCP 47 tag; `zh-*` → zh-CN, `en-*` → en-US. Default `en-US`. Other languages are rejected. */
  locale?: string;
  /**
   * `"light"` (default) or `"dark"`, or custom properties to set on the widget's root
   * (names with or without `--kassa-`, e.g. `{ scheme: "dark", accent: "#7b1fa2" }`),
   * set through the CSSOM so a CSP without `unsafe-inline` allows them.
   */
  theme?: "light" | "dark" | ({ scheme?: "light" | "dark" } & Record<string, string>);
  /**
   * The page a provider (Ping++ channel page, S3 cashier, Paytm) sends the shopper back
   * to; default the current page. Its origin must be one of the edge's allowed origins.
   * Mount the widget on the same order there and it resumes with the live outcome.
   */
  returnUrl?: string;
  /**
   * Who is being paid, shown at the top of every screen (plain text, at most 80
   * characters). The `<kassa-checkout>` attribute is `merchant-name`.
   */
  merchantName?: string;
}

/** What {@link mount} returns. */
export interface Handle {
  /** Unmounts the widget and empties its shadow root. Safe to call twice. */
  destroy(): void;
  free(): void;
}

/**
 * Mounts the checkout in a shadow root on `element`.
 * @throws Error whose message names the invalid option (`options.locale: …`) or the DOM step that failed.
 */
export function mount(element: Element, options: MountOptions): Handle;

/**
 * Seals a field the shopper typed (S4 pay password, security answer, verify code) for
 * the edge at `edge`: fetches its key from `{edge}/.well-known/kassa-key.json` and
 * encrypts `text` (UTF-8) with RSA-OAEP-SHA256 through the browser's WebCrypto. Resolves
 * to the standard-base64 ciphertext the edge's `/rest/pay/...` routes take (`passwd`,
 * `old_passwd`, `answer1`…). Each call encrypts afresh (OAEP is randomised).
 *
 * Sealed is `{v: text, ts: Date.now(), n: nonce}`: the edge refuses a value sealed more
 * than 5 min ago or sent twice, so seal right before each request.
 *
 *   const passwd = await sealField("https://edge.example", input.value);
 *
 * Needs a secure context (https, or localhost) for `crypto.subtle`.
 * @throws Error naming what failed: `text: must not be empty`, `text: longer than 134
 *   UTF-8 bytes` (2048-bit key, ASCII text), `kassa-key.json: …` (the key could not be fetched or
 *   has no RSA-OAEP-256 key), `seal: WebCrypto importKey failed`.
 */
export function sealField(edge: string, text: string): Promise<string>;

/** Defines `<kassa-checkout>` (done when the module starts; idempotent). */
export function defineElement(): void;

/**
 * `<kassa-checkout order-id client-secret edge locale theme return-url merchant-name>`:
 * attributes are the {@link MountOptions} (`theme` as `"light"` / `"dark"`); it mounts
 * when connected, re-mounts when an attribute changes and is destroyed when removed.
 * Invalid attributes fire `kassa:error` with `code: "options"`. It fires the same events
 * as {@link mount}. An element already in the page when the module loads has its order
 * requested while the wasm compiles (ready sooner).
 */
export interface KassaCheckoutElement extends HTMLElement {
  addEventListener<K extends keyof KassaEventMap>(
    type: K,
    listener: (this: KassaCheckoutElement, ev: KassaEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(
    type: string,
    listener: EventListenerOrEventListenerObject,
    options?: boolean | AddEventListenerOptions,
  ): void;
}

/** Initialises the WebAssembly module (wasm-bindgen `--target web`). */
export default function init(
  moduleOrPath?:
    | { module_or_path: RequestInfo | URL | Response | Promise<Response> | BufferSource | WebAssembly.Module }
    | RequestInfo | URL | Response | BufferSource | WebAssembly.Module,
): Promise<unknown>;

/** S2 order status. */
export type KassaStatus = "WAIT_FOR_PAYMENT" | "PROCESSING" | "COMPLETED" | "EXPIRED" | "CANCELLED";

/** Fields every event's `detail` has. */
export interface KassaDetailBase {
  /** The order id, as a string. */
  orderId: string;
  /** The order's S2 status, once loaded. */
  status?: KassaStatus;
}

/** `kassa:ready` — the order is loaded and shown. */
export interface KassaReadyDetail extends KassaDetailBase {
  /** What is to be paid: exact decimal strings, never numbers. */
  amounts: { tokenId: string; amount: string }[];
  /** When the order expires, Unix milliseconds. */
  expiresAt: number;
}

/** `kassa:paid` — the order's status is COMPLETED. */
export type KassaPaidDetail = KassaDetailBase;

/** `kassa:failed` — a payment attempt failed. */
export interface KassaFailedDetail extends KassaDetailBase {
  /** Whether the widget offers "try again" (the order is still open). */
  retry: boolean;
  /** A reason code: `attempt_failed` (the provider declined after processing) or the edge's error code (`declined`, `risk_rejected`, …). */
  reason: string;
}

/** `kassa:expired` — the order expired before it was paid. */
export type KassaExpiredDetail = KassaDetailBase;

/** `kassa:cancelled` — `by: "shopper"` (Cancel pressed; the order stays open at the edge) or `"order"` (the order was cancelled). */
export interface KassaCancelledDetail extends KassaDetailBase {
  by: "shopper" | "order";
}

/** `kassa:error` — a request to the edge failed; the widget shows a retry. */
export interface KassaErrorDetail extends KassaDetailBase {
  /**
   * `network` | `http` | `decode` | `random` | `throttled` (see the widget's
   * `ApiError::code`), or `options` from `<kassa-checkout>` with invalid attributes.
   */
  code: string;
  /** Names what failed and why, e.g. `load_pay_data: missing field \`orderInfo\``. */
  message: string;
  /** Whether retrying the same request may succeed. */
  retryable: boolean;
}

export interface KassaEventMap {
  "kassa:ready": CustomEvent<KassaReadyDetail>;
  "kassa:paid": CustomEvent<KassaPaidDetail>;
  "kassa:failed": CustomEvent<KassaFailedDetail>;
  "kassa:expired": CustomEvent<KassaExpiredDetail>;
  "kassa:cancelled": CustomEvent<KassaCancelledDetail>;
  "kassa:error": CustomEvent<KassaErrorDetail>;
}

// The events bubble and are `composed`, so a listener on the mount element or any
// ancestor receives them; this lets `addEventListener("kassa:paid", …)` type `e.detail`.
declare global {
  interface HTMLElementEventMap extends KassaEventMap {}
  interface HTMLElementTagNameMap {
    "kassa-checkout": KassaCheckoutElement;
  }
}

/*
 * Theming: CSS custom properties set on the mount element (they inherit into the
 * shadow root). Defaults meet WCAG AA contrast.
 *   --kassa-font --kassa-bg --kassa-fg --kassa-muted --kassa-border --kassa-accent
 *   --kassa-accent-fg --kassa-focus --kassa-ok --kassa-error --kassa-skeleton --kassa-radius
 * With the dark scheme, or to override either scheme from script, use the `theme` option.
 */
