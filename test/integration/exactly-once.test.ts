// Exactly once, as people see it: a job with an email and a Teams target,
// retried after a Teams failure, or recovered after its worker was killed
// between the two sends, leaves exactly one email and one post.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Config, type Env } from '../../src/config.js';
import type { ScreenshotJobInput } from '../../src/contracts/screenshot.js';
import type { BotConnectorStandIn } from '../../src/demo/bot-connector.js';
import type { SmtpSink } from '../../src/demo/smtp-sink.js';
import type { ToucanStack } from '../../src/demo/toucan-stack.js';
import { createLogger } from '../../src/log.js';
import { type Producer } from '../../src/queue/producer.js';
import { startWorkerRuntime } from '../../src/queue/runtime.js';
import { jobCompleted, jobStarted, spawnWorkerProcess, workerStarted, type WorkerProcess } from '../../src/demo/worker-process.js';
import { startWorld, type World } from '../helpers/world.js';

let world: World;
let stack: ToucanStack;
let smtp: SmtpSink;
let teams: BotConnectorStandIn;
let env: Env;
let config: Config;
let producer: Producer;
const processes: WorkerProcess[] = [];
let channel = 0;

function shareTo(recipient: string): { job: ScreenshotJobInput; channelId: string } {
  channel += 1;
  const channelId = `19:once-${channel}@thread.tacv2`;
  return {
    channelId,
    job: {
      url: '/demo?slide=sales&export=true',
      title: 'Sales by region',
      auth: { token: stack.token },
      sharedBy: 'Camille',
      deliver: [
        { type: 'email', to: [recipient] },
        { type: 'teams', serviceUrl: teams.serviceUrl(), tenantId: 'tenant-1', channelId },
      ],
    },
  };
}

const postsTo = (channelId: string) => teams.posts.filter((p) => p.params.channelData?.channel?.id === channelId);

beforeAll(async () => {
  world = await startWorld({ name: 'exactly-once', teams: true, runtime: false, env: { HTTP_PORT: '0' } });
  ({ stack, smtp, env, config, producer } = world);
  teams = world.teams!;
});

afterEach(async () => {
  for (const p of processes.splice(0)) await p.kill();
  teams.beforePost = null;
  teams.clearFailures();
});

afterAll(() => world?.close());

describe('exactly once per recipient', () => {
  it('a job whose email succeeds and whose Teams post fails is retried until it succeeds; the mailbox holds one message', async () => {
    const runtime = await startWorkerRuntime({ config, log: createLogger('silent') });
    try {
      const { job, channelId } = shareTo('retry@corp.example.com');
      // The connector fails the first two posts: attempts 1 and 2 fail, attempt 3 succeeds.
      teams.failNext(500, { times: 2 });
      const { result } = await producer.enqueueAndWait('screenshot', job, { timeoutMs: 120_000, attempts: 3, backoff: { type: 'fixed', delay: 200 } });
      expect(result.deliveries).toEqual([
        expect.objectContaining({ type: 'email', to: ['retry@corp.example.com'], status: 'already-sent' }),
        expect.objectContaining({ type: 'teams', channelId, status: 'sent' }),
      ]);
      expect(smtp.messagesFor('retry@corp.example.com')).toHaveLength(1);
      expect(postsTo(channelId)).toHaveLength(1);
    } finally {
      await runtime.close();
    }
  });

  it('a worker killed between the two sends leaves exactly one message of each after another worker recovers the job', async () => {
    const { job, channelId } = shareTo('killed@corp.example.com');
    // The first worker's Teams post is held until the worker is gone: it was
    // killed after its email was sent and before its post was made.
    let held = false;
    let postReached!: () => void;
    const reached = new Promise<void>((resolve) => (postReached = resolve));
    teams.beforePost = () => {
      if (held) return;
      held = true;
      postReached();
      return new Promise<void>(() => undefined);
    };

    const victim = spawnWorkerProcess({ ...env });
    processes.push(victim);
    await victim.waitFor(workerStarted);
    const { id } = await producer.enqueue('screenshot', job, { attempts: 3, backoff: { type: 'fixed', delay: 200 } });
    await victim.waitFor(jobStarted(id));
    await reached;
    expect(smtp.messagesFor('killed@corp.example.com')).toHaveLength(1);
    await victim.kill();

    const rescuer = spawnWorkerProcess({ ...env });
    processes.push(rescuer);
    const done = await rescuer.waitFor(jobCompleted(id), 120_000);
    expect(done.deliveries).toBe(2);
    const result = await producer.waitFor('screenshot', id, 10_000);
    expect(result.deliveries).toEqual([
      expect.objectContaining({ type: 'email', status: 'already-sent' }),
      expect.objectContaining({ type: 'teams', channelId, status: 'sent' }),
    ]);
    expect(smtp.messagesFor('killed@corp.example.com')).toHaveLength(1);
    expect(postsTo(channelId)).toHaveLength(1);
  });
});
