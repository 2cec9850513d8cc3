// Why an alert could not be evaluated, as plain data the message composer
// words in each reader's language (delivery/messages.ts, the catalogue's
// alertError.summary). The evaluation's `error` sentence stays the operators'
// diagnostic, in English; this is what a reader on an `onError` list needs:
// what kind of trouble it is, and the HTTP status when there is one.
// It waits in the outbox with its notification, hence the schema.
import { z } from 'zod';

export const alertErrorReason = z.discriminatedUnion('kind', [
  /** The backend answered an error status (401 and 403: access refused). */
  z.object({ kind: z.literal('http'), status: z.number().int() }),
  z.object({ kind: z.literal('timeout') }),
  z.object({ kind: z.literal('unreachable') }),
  z.object({ kind: z.literal('redirect') }),
  z.object({ kind: z.literal('not-json') }),
  /** The answer held no finite number at `valuePath`. */
  z.object({ kind: z.literal('no-value') }),
]);

export type AlertErrorReason = z.infer<typeof alertErrorReason>;
