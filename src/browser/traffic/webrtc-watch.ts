// WebRTC is confined by Chromium itself: launched with
// --webrtc-ip-handling-policy=disable_non_proxied_udp, it sends no UDP at
// all (STUN and TURN over UDP die in the browser), and TURN over TCP goes
// through the egress proxy, which refuses it. Nothing of that reaches the
// network or CDP, so the attempt is seen from inside the page: every frame
// gets, before its own scripts, a wrapper around RTCPeerConnection that
// reports the ICE servers it is given. The wrapper only reports; a page that
// goes around it is still confined, only not named in diagnostics.
import type { Page } from 'puppeteer-core';
import { NAME_SHIM } from '../page-probe.js';
import type { RefusalLedger } from './refusals.js';

/** The page function the wrapper reports through. */
export const WEBRTC_BINDING = '__courierWebRtc';
const MAX_REPORTS = 20;

/** Runs in every frame at document start; self-contained. */
export function installWebRtcWatch(binding: string, maxReports: number): void {
  const w = window as unknown as Record<string, unknown>;
  const Native = w.RTCPeerConnection as { new (config?: RTCConfiguration): RTCPeerConnection; prototype: RTCPeerConnection } | undefined;
  const report = w[binding] as ((json: string) => unknown) | undefined;
  if (!Native || typeof report !== 'function') return;
  let reports = 0;
  const note = (config: RTCConfiguration | undefined): void => {
    try {
      for (const server of config?.iceServers ?? []) {
        for (const url of ([] as string[]).concat(server.urls ?? [])) {
          if (reports++ < maxReports) void report(String(url));
        }
      }
    } catch {
      // a config the page made unreadable: Chromium still confines it
    }
  };
  const Wrapped = function RTCPeerConnection(this: unknown, config?: RTCConfiguration) {
    note(config);
    return new Native(config);
  } as unknown as typeof Native;
  const proto = Native.prototype;
  Wrapped.prototype = proto;
  Object.setPrototypeOf(Wrapped, Native);
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the instance as `this`
  const setConfiguration: (this: RTCPeerConnection, config: RTCConfiguration) => void = proto.setConfiguration;
  proto.setConfiguration = function (this: RTCPeerConnection, config: RTCConfiguration): void {
    note(config);
    setConfiguration.call(this, config);
  };
  w.RTCPeerConnection = Wrapped;
  if (w.webkitRTCPeerConnection) w.webkitRTCPeerConnection = Wrapped;
}

/** Installs the watch in the page's frames; each ICE server URL becomes a refused 'webrtc' attempt. */
export async function watchWebRtc(page: Page, ledger: RefusalLedger): Promise<void> {
  await page.exposeFunction(WEBRTC_BINDING, (url: unknown) => {
    if (typeof url === 'string') ledger.refused(url.slice(0, 500), 'webrtc');
  });
  await page.evaluateOnNewDocument(`${NAME_SHIM}\n(${installWebRtcWatch.toString()})(${JSON.stringify(WEBRTC_BINDING)}, ${MAX_REPORTS});`);
}
