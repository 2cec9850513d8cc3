// The three queue names (CONTRACT §3). One place, so a typo is a type error.
export const QUEUE_NAMES = ['screenshot', 'pdf-report', 'alert'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export function isQueueName(name: string): name is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(name);
}
