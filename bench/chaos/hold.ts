// Holding a Teams post at the Bot Connector stand-in: the moment a worker
// is inside a delivery (its email already sent, its post in flight) is the
// hardest one for exactly-once, so scenarios inject their fault there.
import type { BotConnectorStandIn } from '../../src/demo/bot-connector.js';

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
