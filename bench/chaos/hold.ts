// Holding deliveries at the servers: the moment a worker is inside a
// delivery (its email already sent, its post in flight) is the hardest one
// for exactly-once, so scenarios inject their fault there; and holding the
// other deliveries meanwhile keeps the fault exact (no message can be
// accepted in the instant the worker dies, before its receipt is written:
// that window is documented in src/delivery/deliver.ts, not tested here).
import type { BotConnectorStandIn } from '../../src/demo/bot-connector.js';
import type { SinkReply, SmtpSink } from '../../src/demo/smtp-sink.js';

export interface HeldPost {
  /** Resolves when the first post after hold() reached the stand-in (and is held there). */
  reached: Promise<void>;
  /** Lets the held post through: the stand-in creates it and answers 201. */
  release(): void;
  /** Drops the held post: the stand-in answers 500 without creating it (its client is gone anyway). */
  drop(): void;
}

/** Holds the next post; every later post passes. */
export function holdNextPost(teams: BotConnectorStandIn): HeldPost {
  let reachedResolve!: () => void;
  const reached = new Promise<void>((resolve) => (reachedResolve = resolve));
  let settle: { release: () => void; drop: () => void } | null = null;
  let pendingDecision: 'release' | 'drop' | null = null;
  let taken = false;
  teams.beforePost = () => {
    if (taken) return;
    taken = true;
    teams.beforePost = null;
    reachedResolve();
    return new Promise<void>((resolve, reject) => {
      settle = { release: resolve, drop: () => reject(new Error('held post dropped by the fault suite')) };
      if (pendingDecision) settle[pendingDecision]();
    });
  };
  const decide = (decision: 'release' | 'drop'): void => {
    if (settle) settle[decision]();
    else pendingDecision = decision;
  };
  return { reached, release: () => decide('release'), drop: () => decide('drop') };
}

export interface HeldMail {
  /** Answers every held RCPT TO with this reply, and lets later ones through. */
  refuse(reply: SinkReply): void;
}

/**
 * Holds every recipient at the SMTP server's RCPT TO, except those `allow`
 * lets through: nothing held is accepted, so no message can slip through
 * while a fault is injected.
 */
export function holdMailExcept(smtp: SmtpSink, allow: (address: string) => boolean): HeldMail {
  let answer!: (reply: SinkReply) => void;
  const held = new Promise<SinkReply>((resolve) => (answer = resolve));
  smtp.onRecipient = (address) => (allow(address) ? undefined : held);
  return {
    refuse(reply) {
      smtp.onRecipient = undefined;
      answer(reply);
    },
  };
}
