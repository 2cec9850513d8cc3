// What a fault scenario is: a stream of real jobs, a fault injected at a
// chosen moment (found from the system's own signals: a request reaching
// the backend, a log line, a post reaching the Bot Connector, never a
// guess about time), and checks of what the fault must have done. The
// suite then waits for every job to finish, stops the workers, and counts
// lost jobs, unexpected failures and duplicate messages (tally.ts).
import type { ScenarioContext } from './context.js';

export interface Scenario {
  /** Short id: in the queue prefix, recipients, channels, and `--only`. */
  id: string;
  /** The row's name in the table. */
  title: string;
  /** What it proves, one sentence, for the README. */
  proves: string;
  /** Runs on a persistent redis-server of its own (it restarts it). */
  privateRedis?: boolean;
  /** Runs on a Redis Cluster or Sentinel group of its own (it fails it over). */
  topology?: 'cluster' | 'sentinel';
  /** How long every job may take to finish after run() returns, generously. */
  settleTimeoutMs: number;
  /** Starts workers, submits the stream, injects the fault, records checks with ctx.check(). */
  run(ctx: ScenarioContext): Promise<void>;
}
