// What one job's story tried to reach and was refused, and how it tried.
//
// Refusals come from two places. The request router refuses what the page
// itself requests (its frames and dedicated workers included) and knows how
// each request was made. The egress proxy refuses everything else, seeing
// only a URL (plain http) or a host:port (a tunnel: https, wss, ws, TURN over
// TCP). So the job also notes "intents": requests it watched being made by
// its other targets (shared and service workers, popups) and WebSockets and
// WebRTC servers the page asked for, and a proxy refusal is named after the
// intent it matches. An unmatched one is still listed, by what the proxy saw.
import type { z } from 'zod';
import type { refusedHow } from '../../contracts/result.js';
import { hostPortOf } from '../network-policy.js';

/**
 * How a refused attempt was made: request (fetch, XHR, script, stylesheet,
 * image, font… from the page), navigation (the page navigating itself
 * away), redirect, iframe, worker, shared-worker, service-worker, websocket,
 * webrtc, popup, eventsource, beacon, local-file (file: and other local
 * schemes, refused by Chromium itself), mdns (a remote ICE candidate's
 * `.local` name), webtransport, prefetch (resource hints and speculation
 * rules aimed outside the policy; see quiet-attempts.ts), tunnel and http (a CONNECT or a
 * plain-http request the proxy refused, made by something not otherwise seen).
 */
export type How = z.infer<typeof refusedHow>;

export interface RefusedAttempt {
  url: string;
  how: How;
}

/** What the proxy refused: a URL (plain http) or a host:port (a tunnel). */
export type ProxyRefusal = { kind: 'http'; url: string } | { kind: 'tunnel'; hostPort: string };

/** A list stays short: the first few of each kind say enough, and a hostile page cannot fill memory. */
export const MAX_REFUSALS = 25;
const MAX_INTENTS = 200;

/** What a refusal was aimed at: a URL, or (a refused tunnel) a host:port. */
export type RefusedTarget = { url: string } | { hostPort: string };

export class RefusalLedger {
  private readonly direct: RefusedAttempt[] = [];
  private readonly proxied: ProxyRefusal[] = [];
  private readonly intents: RefusedAttempt[] = [];

  /** `onRefused` hears of every refusal, kept in the lists or not (the page observer stops waiting for it). */
  constructor(private readonly onRefused: (target: RefusedTarget) => void = () => undefined) {}

  /** A refusal whose "how" is known where it happened (router, popup guard, WebRTC watch). */
  refused(url: string, how: How): void {
    this.onRefused({ url });
    pushUnique(this.direct, { url, how }, MAX_REFUSALS, (a, b) => a.url === b.url && a.how === b.how);
  }

  /** A refusal by the egress proxy. */
  proxyRefused(refusal: ProxyRefusal): void {
    this.onRefused(refusal.kind === 'http' ? { url: refusal.url } : { hostPort: refusal.hostPort });
    pushUnique(this.proxied, refusal, MAX_REFUSALS, (a, b) => proxyKey(a) === proxyKey(b));
  }

  /** Something the job saw being attempted that the policy refuses; it names a matching proxy refusal. */
  intent(url: string, how: How): void {
    pushUnique(this.intents, { url, how }, MAX_INTENTS, (a, b) => a.url === b.url && a.how === b.how);
  }

  list(): RefusedAttempt[] {
    return mergeRefusals(this.direct, this.proxied, this.intents);
  }
}

/**
 * Every refused attempt once: the direct ones, then each proxy refusal named
 * after the intents it matches (a plain-http refusal by its URL, a tunnel by
 * host and port), or by what the proxy saw when nothing matches. Pure.
 */
export function mergeRefusals(direct: readonly RefusedAttempt[], proxied: readonly ProxyRefusal[], intents: readonly RefusedAttempt[]): RefusedAttempt[] {
  const out: RefusedAttempt[] = [];
  const add = (attempt: RefusedAttempt) => {
    if (!out.some((a) => a.url === attempt.url && a.how === attempt.how)) out.push(attempt);
  };
  direct.forEach(add);
  for (const refusal of proxied) {
    const matches = intents.filter((intent) => matchesRefusal(intent.url, refusal));
    if (matches.length > 0) matches.forEach(add);
    // A popup or a WebRTC server already listed directly explains the refusal too.
    else if (!direct.some((d) => matchesRefusal(d.url, refusal))) add(refusal.kind === 'http' ? { url: refusal.url, how: 'http' } : { url: refusal.hostPort, how: 'tunnel' });
  }
  return out.slice(0, MAX_REFUSALS);
}

function matchesRefusal(url: string, refusal: ProxyRefusal): boolean {
  if (refusal.kind === 'http') return sameUrl(url, refusal.url);
  return iceHostPort(url) === refusal.hostPort.toLowerCase() || hostPortOf(url) === refusal.hostPort.toLowerCase();
}

function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

/** host:port of a STUN/TURN server URL (`turn:host:port?transport=tcp`), which URL() does not parse. */
function iceHostPort(url: string): string | null {
  const match = /^(stuns?|turns?):([^?]+)/i.exec(url);
  if (!match) return null;
  const [, scheme = '', rest = ''] = match;
  const hasPort = /:\d+$/.test(rest);
  const port = scheme.toLowerCase().endsWith('s') ? '5349' : '3478';
  return (hasPort ? rest : `${rest}:${port}`).toLowerCase();
}

function proxyKey(refusal: ProxyRefusal): string {
  return refusal.kind === 'http' ? `http ${refusal.url}` : `tunnel ${refusal.hostPort}`;
}

function pushUnique<T>(list: T[], item: T, max: number, same: (a: T, b: T) => boolean): void {
  if (list.length < max && !list.some((existing) => same(existing, item))) list.push(item);
}

/** The refusals of several renders (a report's pages), each once. Pure. */
export function concatRefusals(lists: readonly (readonly RefusedAttempt[])[]): RefusedAttempt[] {
  const out: RefusedAttempt[] = [];
  for (const attempt of lists.flat()) {
    if (out.length < MAX_REFUSALS && !out.some((a) => a.url === attempt.url && a.how === attempt.how)) out.push(attempt);
  }
  return out;
}
