// TypeScript declarations for the Kassa checkout widget (ES module `kassa.js`).
//
//   import init, { mount } from "./kassa/kassa.js";
//   await init();
//   const handle = mount(document.querySelector("#pay")!, {
//     orderId: "476682884348973312", clientSecret, edge: "https://edge.example", locale: "zh-CN",
//   });
//   el.addEventListener("kassa:paid", (e) => console.log(e.detail.orderId));
//   handle.destroy();

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

/** Initialises the WebAssembly module (wasm-bindgen `--target web`). */
export default function init(moduleOrPath?: RequestInfo | URL | Response | BufferSource | WebAssembly.Module): Promise<unknown>;

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
  /** `network` | `http` | `decode` | `random` (see the widget's `ApiError::code`). */
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
}

/*
 * Theming: CSS custom properties set on the mount element (they inherit into the
 * shadow root). Defaults meet WCAG AA contrast.
 *   --kassa-font --kassa-bg --kassa-fg --kassa-muted --kassa-border --kassa-accent
 *   --kassa-accent-fg --kassa-focus --kassa-ok --kassa-error --kassa-skeleton --kassa-radius
 */
