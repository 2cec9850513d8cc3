// Attempts that make no request courier could refuse, named all the same.
// Chromium is launched so that they cannot leave (no mDNS resolution, no UDP,
// no DNS of its own: see chromium.ts and docs/security.md), so nothing of
// them reaches the request router or the egress proxy, and without a word a
// story that tried would look innocent. Every frame therefore gets, before
// its own scripts, a watch that reports:
// - `mdns`: a remote ICE candidate named `*.local` (addIceCandidate, or in a
//   remote description's SDP), which Chromium would resolve by multicast DNS;
// - `webtransport`: `new WebTransport(url)` (QUIC, UDP: no way through the proxy);
// - `prefetch`: resource hints and speculation rules (`dns-prefetch`,
//   `preconnect`, `prefetch`, `prerender` links; `prefetch`/`prerender` URL
//   lists of `<script type="speculationrules">`) aimed outside the policy.
// Like the WebRTC watch, it only reports: a page that goes around it is
// still confined, only not named.
import type { Page } from 'puppeteer-core';
import { decide, type NetworkPolicy } from '../network-policy.js';
import { NAME_SHIM } from '../page-probe.js';
import type { RefusalLedger } from './refusals.js';

export const QUIET_BINDING = '__courierQuiet';
const MAX_REPORTS = 40;

export type QuietKind = 'mdns' | 'webtransport' | 'prefetch';

/** Runs in every frame at document start; self-contained (its source is sent to the page). */
export function installQuietWatch(binding: string, maxReports: number): void {
  const w = window as unknown as Record<string, unknown>;
  const report = w[binding] as ((kind: string, url: string) => unknown) | undefined;
  if (typeof report !== 'function') return;
  let reports = 0;
  const say = (kind: string, url: unknown): void => {
    if (reports++ < maxReports) void report(kind, String(url).slice(0, 500));
  };
  // candidate:<foundation> <component> <transport> <priority> <address> <port> typ …
  const mdnsNames = (text: unknown): void => {
    if (typeof text !== 'string') return;
    for (const match of `${text} `.matchAll(/candidate:\S+\s+\d+\s+\S+\s+\d+\s+(\S+\.local)\.?\s/gi)) say('mdns', match[1]);
  };
  const Peer = w.RTCPeerConnection as { prototype: RTCPeerConnection } | undefined;
  if (Peer) {
    const proto = Peer.prototype;
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the instance as `this`
    const addIceCandidate = proto.addIceCandidate as (this: RTCPeerConnection, ...args: unknown[]) => Promise<void>;
    proto.addIceCandidate = function (this: RTCPeerConnection, ...args: unknown[]): Promise<void> {
      mdnsNames((args[0] as { candidate?: unknown } | undefined)?.candidate);
      return addIceCandidate.apply(this, args);
    };
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the instance as `this`
    const setRemoteDescription = proto.setRemoteDescription as (this: RTCPeerConnection, ...args: unknown[]) => Promise<void>;
    proto.setRemoteDescription = function (this: RTCPeerConnection, ...args: unknown[]): Promise<void> {
      mdnsNames((args[0] as { sdp?: unknown } | undefined)?.sdp);
      return setRemoteDescription.apply(this, args);
    };
  }
  const NativeTransport = w.WebTransport as (new (url: string, options?: unknown) => object) | undefined;
  if (NativeTransport) {
    const Wrapped = function WebTransport(url: string, options?: unknown) {
      say('webtransport', url);
      return new NativeTransport(url, options);
    };
    Wrapped.prototype = NativeTransport.prototype as object;
    Object.setPrototypeOf(Wrapped, NativeTransport);
    w.WebTransport = Wrapped;
  }
  const HINTS = /(^|\s)(dns-prefetch|preconnect|prefetch|prerender)(\s|$)/i;
  const seen = new WeakSet<Node>();
  const look = (node: Node): void => {
    if (seen.has(node) || !(node instanceof Element)) return;
    seen.add(node);
    if (node instanceof HTMLLinkElement && HINTS.test(node.rel) && node.href) say('prefetch', node.href);
    if (node instanceof HTMLScriptElement && node.type === 'speculationrules') {
      // The rules' text arrives with the element's children: read it once the parser is done with them.
      queueMicrotask(() => {
        try {
          const rules = JSON.parse(node.textContent || '{}') as Record<string, { urls?: unknown[] }[] | undefined>;
          for (const list of [rules.prefetch, rules.prerender]) {
            for (const rule of list ?? []) for (const url of rule.urls ?? []) say('prefetch', new URL(String(url), document.baseURI).href);
          }
        } catch {
          // not JSON: Chromium ignores it too
        }
      });
    }
  };
  new MutationObserver((records) => {
    for (const record of records) {
      record.addedNodes.forEach(look);
      if (record.type === 'attributes' || record.type === 'characterData') look(record.target instanceof Text ? record.target.parentNode ?? record.target : record.target);
    }
  }).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ['href', 'rel'] });
}

/**
 * Installs the watch in the page's frames. `policy` is the job's (null
 * before the page has one: then every hint is refused). mDNS and
 * WebTransport are always refused; a hint only when its URL is outside the policy.
 */
export async function watchQuietAttempts(page: Page, ledger: RefusalLedger, policy: () => NetworkPolicy | null): Promise<void> {
  await page.exposeFunction(QUIET_BINDING, (kind: unknown, url: unknown) => {
    if (typeof url !== 'string') return;
    if (kind === 'mdns' || kind === 'webtransport') ledger.refused(url, kind);
    if (kind === 'prefetch') {
      const current = policy();
      if (!current || decide(url, current).action === 'block') ledger.refused(url, 'prefetch');
    }
  });
  await page.evaluateOnNewDocument(`${NAME_SHIM}\n(${installQuietWatch.toString()})(${JSON.stringify(QUIET_BINDING)}, ${MAX_REPORTS});`);
}
