// How long courier's writes were held up by a failover, as a client of
// courier's own connection module sees it: one SET after another, from
// before the fault to after it, each tried again at once when it fails.
// The longest stretch between two writes that completed is the time Redis
// was unusable for courier, whatever made it so (writes refused while no
// master answered, writes paused by a Cluster's manual failover, the
// client finding the new master).
import type { Config } from '../../src/config.js';
import { createRedisClient } from '../../src/redis/connection.js';

export interface WriteProbe {
  /** Stops writing; resolves with the longest gap between two completed writes, in ms, and when it began. */
  stop(): Promise<{ longestGapMs: number; gapStartedAt: number; writes: number; failures: number }>;
}

export function startWriteProbe(config: Pick<Config, 'redisUrl' | 'queuePrefix'>, key = `${config.queuePrefix}:chaos-write-probe`): WriteProbe {
  const client = createRedisClient(config, { failFast: true });
  let running = true;
  let last = Date.now();
  let longestGapMs = 0;
  let gapStartedAt = last;
  let writes = 0;
  let failures = 0;
  const loop = (async () => {
    while (running) {
      try {
        await client.set(key, String(writes), 'PX', 60_000);
        const now = Date.now();
        if (now - last > longestGapMs) {
          longestGapMs = now - last;
          gapStartedAt = last;
        }
        last = now;
        writes += 1;
        await new Promise((r) => setTimeout(r, 20));
      } catch {
        failures += 1;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      client.disconnect();
      return { longestGapMs, gapStartedAt, writes, failures };
    },
  };
}
