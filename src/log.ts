// pino JSON logs. Secrets are removed by pino's `redact` wherever they appear
// in the usual places of a log object (job data, config, HTTP headers), so a
// careless `log.info({ data })` cannot leak a bearer token or a password.
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

/** Keys holding secrets, at the depths they occur in our log objects. */
const SECRET_KEYS = ['token', 'password', 'pass', 'appPassword', 'authorization', 'Authorization', 'secret', 'artifactLinkSecret', 'smtpUrl', 'clientSecret', 'client_secret', 'access_token'];

export const REDACT_PATHS: string[] = SECRET_KEYS.flatMap((key) => [
  key,
  `*.${key}`,
  `*.*.${key}`,
  `*.*.*.${key}`,
  `*.headers.${key}`,
]);

export function createLogger(level = 'info', destination?: DestinationStream): Logger {
  return pino(
    {
      name: 'courier',
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ dest: 2, sync: false }),
  );
}
