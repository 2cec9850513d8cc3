// Where an alert's records live in Redis: all under one prefix (QUEUE_PREFIX),
// so `{courier}` keeps them in one Redis Cluster slot:
//   <prefix>:alerts:<alertId>:state     hash: version, epoch, seq, state (JSON), evaluationId, updatedAt
//   <prefix>:alerts:<alertId>:outbox    hash: notification id → notification JSON
//   <prefix>:alerts:<alertId>:attempts  hash: notification id → failed delivery attempts
//   <prefix>:alerts:<alertId>:lock      string: the owner's token
// Not `<prefix>:alert:…`: that is the alert queue's own namespace, where
// BullMQ keeps job `<id>` at `<prefix>:alert:<id>` and its lock at
// `…:<id>:lock`. A job whose id is its alertId (a producer deduplicating by
// alert) would then hold the alert's lock itself, and wait for it in vain.

export interface AlertKeys {
  state: string;
  outbox: string;
  attempts: string;
  lock: string;
  /** Set by deleteAlert to the time of the deletion: evaluations of jobs made before it may not write the state back. */
  deleted: string;
}

export function alertKeys(prefix: string, alertId: string): AlertKeys {
  const base = `${prefix}:alerts:${alertId}`;
  return { state: `${base}:state`, outbox: `${base}:outbox`, attempts: `${base}:attempts`, lock: `${base}:lock`, deleted: `${base}:deleted` };
}

/** The prefix of the ids of an alert's notifications: `alert:<alertId>:<epoch>:<seq>` (see lua/alert-commit.lua). */
export function notificationIdPrefix(alertId: string): string {
  return `alert:${alertId}:`;
}

/** The sequence number at the end of a notification id (alert ids may contain ':'). */
export function seqOf(id: string): number {
  return Number(id.slice(id.lastIndexOf(':') + 1));
}
