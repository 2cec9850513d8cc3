import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';

function captured(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, stream };
}

describe('logs never carry secrets', () => {
  it('redacts tokens, passwords and secrets wherever they sit in a log object', () => {
    const { lines, stream } = captured();
    const log = createLogger('info', stream);
    log.info({ data: { url: '/demo', auth: { token: 'tok-123' } } }, 'job started');
    log.info({ config: { smtpUrl: 'smtp://u:pw@h', artifactLinkSecret: 'sek', microsoft: { appPassword: 'app-pw' } } }, 'config');
    log.info({ request: { headers: { authorization: 'Bearer tok-456' } } }, 'request');
    log.info({ token: 'tok-789', password: 'pw-2' }, 'flat');
    const text = lines.join('\n');
    for (const secret of ['tok-123', 'pw@h', 'sek', 'app-pw', 'tok-456', 'tok-789', 'pw-2']) expect(text).not.toContain(secret);
    expect(text.match(/\[redacted\]/g)?.length).toBe(7);
    // What is not secret stays readable.
    expect(text).toContain('"url":"/demo"');
  });
});
