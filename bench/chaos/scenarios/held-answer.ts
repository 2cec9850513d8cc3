// The job's deadline passing mid-delivery (issue 26): the SMTP server keeps
// the message but holds its 250 to DATA, or the Bot Connector creates the
// post but holds its 201, past JOB_TIMEOUT_MS; then, in two variants, the
// worker gets SIGTERM or SIGKILL while it waits. Under the old design the
// attempt was abandoned at the deadline while its send went on, its retry
// found no receipt and sent again: two messages. Now the attempt waits for
// its send on the wire (within SEND_TIMEOUT_MS), writes the receipt, and
// only then ends; a retry waits out an earlier attempt's claim.
//
// SIGKILL while the send is on the wire is the documented window: the
// server kept the message, the dead worker never learnt it, and the retry,
// once the claim has run out, sends again (an email with the same
// Message-ID, a second Teams post). The scenario checks exactly that.
import { createRedisClient } from '../../../src/redis/connection.js';
import type { ScenarioContext } from '../context.js';
import type { Scenario } from '../scenario.js';
import type { TrackedJob } from '../tally.js';

/** JOB_TIMEOUT_MS and SEND_TIMEOUT_MS of these scenarios' workers: the story renders in well under the first. */
const WORKER_ENV = { JOB_TIMEOUT_MS: '12000', SEND_TIMEOUT_MS: '25000' };
/** How long the server still holds its answer after the deadline has passed: longer than the retry's first backoff (5 s), so the old design's retry would have sent beside it. */
const HOLD_PAST_DEADLINE_MS = 6000;
const GRACE_LINE = 'JOB_TIMEOUT_MS passed with a delivery in flight';

type Channel = 'smtp' | 'teams';
type Then = 'none' | 'SIGTERM' | 'SIGKILL';

interface Hold {
  /** Resolves when the held message or post reached the server (which kept it). */
  reached: Promise<void>;
  release(): void;
}

/** The server keeps the first message (or post) after this call and holds its answer until release(). */
function holdFirstAnswer(ctx: ScenarioContext, channel: Channel): Hold {
  let reachedResolve!: () => void;
  const reached = new Promise<void>((resolve) => (reachedResolve = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let taken = false;
  const hold = (): Promise<void> | undefined => {
    if (taken) return undefined;
    taken = true;
    reachedResolve();
    return released;
  };
  if (channel === 'smtp') ctx.smtp.beforeReply = hold;
  else ctx.teams.beforeAnswer = hold;
  return { reached, release };
}

function copiesOf(ctx: ScenarioContext, job: TrackedJob): string {
  const mail = job.recipients.map((address) => `${address.split('@')[0]} ${ctx.smtp.messagesFor(address).length}`);
  const posts = job.channels.map((channel) => `channel ${ctx.postsIn(channel)}`);
  return [...mail, ...posts].join(', ');
}

function heldAnswer(channel: Channel, then: Then): Scenario {
  const server = channel === 'smtp' ? 'SMTP server holding its answer to DATA' : 'Bot Connector creating the post and holding its answer';
  const id = `held-${channel}${then === 'none' ? '' : `-${then === 'SIGKILL' ? 'kill' : 'term'}`}`;
  const what = channel === 'smtp' ? 'email' : 'Teams post';
  const proves = {
    none: `a ${what} on the wire when JOB_TIMEOUT_MS passes is answered within the send grace: its receipt is written before the attempt ends, so the retry reports it already-sent (or the job completes): one message per recipient`,
    SIGTERM: `a worker told to stop while its ${what} is on the wire past JOB_TIMEOUT_MS drains: it waits for the answer, writes the receipt, exits 0, and the retry does not send again: one message per recipient`,
    SIGKILL: `a worker killed while its ${what} is on the wire past JOB_TIMEOUT_MS cannot know what the server did: the retry waits out its claim, then sends again, the documented window (${channel === 'smtp' ? 'a second email with the same Message-ID' : 'a second post'}); every other recipient gets one message`,
  }[then];
  return {
    id,
    title: `${server} past JOB_TIMEOUT${then === 'none' ? '' : `, then the worker gets ${then}`}`,
    proves,
    settleTimeoutMs: 120_000,
    async run(ctx) {
      const worker = await ctx.startWorker('worker', WORKER_ENV);
      const hold = holdFirstAnswer(ctx, channel);
      const held = await ctx.share({ label: `share whose ${what} is held` });
      await hold.reached;
      // On a loaded machine an earlier attempt may have met its deadline before its send: the grace that matters comes after the hold.
      const reachedAt = worker.lines.length;
      for (let i = 0; i < 2; i++) await ctx.share();
      const grace = await worker.waitFor(
        (l) => l.jobId === held.id && l.msg?.startsWith(GRACE_LINE) === true && worker.lines.indexOf(l) >= reachedAt,
        60_000,
        'the deadline with the send in flight',
      );
      ctx.check('the deadline passed while the send was on the wire, and the attempt waited for it', grace.level === 'warn');

      let completedFirst = false;
      if (then === 'SIGKILL') {
        await worker.kill();
        hold.release();
        // The dead worker's lock would run out within 30 s; removing it now only saves that wait.
        const redis = createRedisClient({ redisUrl: ctx.redisUrl });
        await redis.del(`${ctx.prefix}:screenshot:${held.id}:lock`).finally(() => redis.disconnect());
        ctx.print(`killed worker ${worker.pid} (kill -9) with its ${what} on the wire past the deadline`);
        held.window = channel === 'smtp' ? [...held.recipients] : held.channels.map((c) => `channel ${c}`);
      } else {
        if (then === 'SIGTERM') {
          worker.child.kill('SIGTERM');
          await worker.waitFor((l) => l.msg?.startsWith('draining') === true, 30_000, 'the drain');
        }
        await new Promise((resolve) => setTimeout(resolve, HOLD_PAST_DEADLINE_MS));
        const before = worker.lines.length;
        hold.release();
        const ended = await worker.waitFor((l) => l.jobId === held.id && (l.msg === 'job completed' || l.msg?.startsWith('job attempt failed') === true), 60_000, 'the held attempt to end');
        ctx.check('the attempt ended only after the server had answered', worker.lines.indexOf(ended) >= before, `${String(ended.msg)}`);
        completedFirst = ended.msg === 'job completed';
        if (ended.msg !== 'job completed') {
          ctx.check('its failure says JOB_TIMEOUT and what became of each recipient', /^JOB_TIMEOUT: .*stopped during delivery: 1 target served .*not attempted/.test(String(ended.reason)), String(ended.reason));
        }
        if (then === 'SIGTERM') {
          const code = await worker.exit;
          ctx.check('the signalled worker drained and exited 0', code === 0, `exit status ${code}`);
        }
      }
      if (then !== 'none') await ctx.startWorker('next', WORKER_ENV);
      await ctx.settle(this.settleTimeoutMs);

      const result = (await ctx.job(held))?.returnvalue as { deliveries?: { type: string; status: string; id?: string }[] } | undefined;
      const heldType = channel === 'smtp' ? 'email' : 'teams';
      const heldReport = result?.deliveries?.find((d) => d.type === heldType);
      if (then === 'SIGKILL') {
        ctx.check(`the retry sent the ${what} again once the claim had run out (the documented window)`, heldReport?.status === 'sent', JSON.stringify(result?.deliveries ?? null));
        if (channel === 'smtp') {
          const ids = new Set(held.recipients.flatMap((a) => ctx.smtp.messagesFor(a).map((m) => /^Message-ID:\s*(\S+)/im.exec(m.raw.toString('utf8'))?.[1] ?? '?')));
          ctx.check('both copies carry the same Message-ID', ids.size === 1, [...ids].join(' '));
        }
      } else {
        ctx.check(
          `the ${what} was reported ${completedFirst ? 'sent by the attempt that waited for it' : 'already-sent by the retry'}`,
          heldReport?.status === (completedFirst ? 'sent' : 'already-sent'),
          JSON.stringify(result?.deliveries ?? null),
        );
      }
      ctx.note(`messages accepted for the held job: ${copiesOf(ctx, held)}`);
    },
  };
}

export const heldScenarios: Scenario[] = (['smtp', 'teams'] as const).flatMap((channel) => (['none', 'SIGTERM', 'SIGKILL'] as const).map((then) => heldAnswer(channel, then)));
