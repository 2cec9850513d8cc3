// Microsoft Teams delivery: one new thread in a channel per message, with
// the message as an Adaptive Card, by Teams' documented rules. The parts:
//
//   teams-connector.ts  every Bot Framework SDK and MSAL call (token, post, channel list);
//   card-image.ts       how the image travels within Teams' size limits (image-fit.ts: the pixels);
//   teams-request.ts    one connector request: pace, retries, token refresh;
//   teams-retry.ts      which answers are retried, and how long to wait;
//   teams-pace.ts       the per-channel rate, shared by all workers through Redis;
//   teams-errors.ts     failures in sentences, with secrets redacted;
//   teams-check.ts      the doctor's check of the bot's credentials.
//
// How a post goes:
//   1. the job's service URL must start with an entry of TEAMS_SERVICE_URLS
//      (it will receive the bot's token), checked before any token exists;
//   2. the card is measured without its image, and the image takes the best
//      step that fits (inline, smaller, link, none), with the reason logged;
//   3. each request first takes a slot in the channel's pace, then posts;
//      412, 429, 502, 503 and 504 are retried within the delivery step
//      (Retry-After from the header or the body, else exponential backoff
//      with jitter), bounded by the job's deadline, so a delivery retry never
//      re-renders the story; 413 moves down the image steps; a 401 refreshes
//      the token once; anything else fails the delivery with a sentence.
//
// Exactly once: 412, 429 and 503 mean Teams did not create the post, so
// trying again cannot duplicate it. A 502 or 504 may come after Teams
// created it, and the Bot Connector offers no way to ask; courier retries
// them as Microsoft advises, which can then show the post twice. A job retry
// would have posted again in that case too, since the receipt (deliver.ts)
// is only written after Teams confirms; the README says so.
import { createArtifactLinks, type ArtifactLinks, type LinksConfig } from '../artifacts/links.js';
import type { Config } from '../config.js';
import type { TeamsTarget } from '../contracts/common.js';
import { CourierError } from '../errors.js';
import type { Logger } from '../log.js';
import { assertServiceUrlAllowed } from '../urls.js';
import { afterRefusal, imageLadder, kb, takeStep, TEAMS_MESSAGE_MAX_BYTES, type ImageChoice, type ImagePath, type ImageStep } from './card-image.js';
import { buildCard, cardActivity } from './cards.js';
import type { Message } from './messages.js';
import { BotConnection, connectorFailure, conversationParameters } from './teams-connector.js';
import { redactSecrets, toDeliveryError } from './teams-errors.js';
import type { ChannelPace } from './teams-pace.js';
import { connectorCaller } from './teams-request.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './teams-retry.js';
import type { DeliveryContext, TeamsChannelInfo, TeamsSender } from './types.js';

export { authorityOf } from './teams-connector.js';
export { redactSecrets } from './teams-errors.js';

/** How long a request may keep retrying when the caller has no job deadline (the `teams channels` command). */
const DEFAULT_BUDGET_MS = 60_000;

/** What the Teams channel reads of the configuration: the bot, the allowed service URLs and the signed links. */
export type TeamsConfig = Pick<Config, 'microsoft' | 'teamsServiceUrls' | 'teamsDefaultServiceUrl'> & LinksConfig;

export interface TeamsDeps {
  config: TeamsConfig;
  log: Logger;
  /** Signed links (for the linked-image step); default: from the config; null: no links. */
  links?: ArtifactLinks | null;
  /** The per-channel pace shared by all workers; absent: no pacing (commands, doctor). */
  pace?: ChannelPace | null;
  retry?: Partial<RetryPolicy>;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => Date;
  random?: () => number;
}

/** What a post did, beyond the activity id (for logs, tests and the demo's figures). */
export interface TeamsPostReport {
  id: string;
  conversationId: string;
  image: ImageChoice | null;
  /** Size of the POST body that was accepted. */
  bytes: number;
  /** Image steps refused with 413 before this one. */
  refused: ImagePath[];
  /** Requests made for the accepted post (1 when the first one landed). */
  attempts: number;
  /** Time spent waiting for the channel's pace. */
  pacedMs: number;
}

export interface TeamsDelivery extends TeamsSender {
  /** post() with the details of what was sent. */
  postWithReport(target: TeamsTarget, message: Message, context?: DeliveryContext): Promise<TeamsPostReport>;
}

export function createTeamsSender(deps: TeamsDeps): TeamsDelivery {
  const { config } = deps;
  const now = deps.now ?? (() => new Date());
  const links = deps.links !== undefined ? deps.links : createArtifactLinks({ config, now });
  const bot = BotConnection.fromConfig(config, deps.log);
  const call = connectorCaller({ bot, pace: deps.pace ?? null, policy: { ...DEFAULT_RETRY_POLICY, ...deps.retry }, sleep: deps.sleep, now, random: deps.random });
  const redact = (text: string): string => redactSecrets(text, [config.microsoft.appPassword]);
  const defaultServiceUrl = config.teamsDefaultServiceUrl;

  async function postWithReport(target: TeamsTarget, message: Message, context: DeliveryContext = {}): Promise<TeamsPostReport> {
    // A target without its own service URL goes to TEAMS_DEFAULT_SERVICE_URL.
    const serviceUrl = target.serviceUrl ?? defaultServiceUrl;
    assertServiceUrlAllowed(serviceUrl, config.teamsServiceUrls);
    const log = (context.log ?? deps.log).child({ channel: 'teams', channelId: target.channelId });
    const deadlineMs = context.deadlineMs ?? now().getTime() + DEFAULT_BUDGET_MS;
    const tenantId = target.tenantId ?? config.microsoft.tenantId ?? undefined;
    const paramsFor = (url: string | null) =>
      conversationParameters(target.channelId, tenantId, cardActivity(buildCard(message, url === null ? null : { url }), message));

    const image = message.image;
    // The request with an empty image URL: everything the image does not take.
    const textBytes = byteLength(paramsFor(image ? '' : null));
    if (textBytes > TEAMS_MESSAGE_MAX_BYTES) {
      log.warn({ textBytes, limit: TEAMS_MESSAGE_MAX_BYTES }, `teams: the card's text takes ${kb(textBytes)}, over Teams' documented ${kb(TEAMS_MESSAGE_MAX_BYTES)}; Teams may refuse it`);
    }
    let steps: ImageStep[] = image ? imageLadder(textBytes, links?.allows('card-image') === true && image.artifactPath !== null) : [{ path: 'none' }];
    const skipped: string[] = [];
    const refused: ImagePath[] = [];
    while (steps.length > 0) {
      const [step, ...rest] = steps as [ImageStep, ...ImageStep[]];
      steps = rest;
      let choice: ImageChoice | null = null;
      if (image) {
        const taken = await takeStep(step, { image, links });
        if ('skipped' in taken) {
          skipped.push(taken.skipped);
          continue;
        }
        const whyNone = [...skipped, ...refused.map((path) => `${path}: refused by Teams (HTTP 413)`)];
        choice = taken.path === 'none' && whyNone.length > 0 ? { ...taken, reason: `no image: ${whyNone.join('; ')}` } : taken;
      }
      const params = paramsFor(choice?.url ?? null);
      const bytes = byteLength(params);
      try {
        const { value: conversationId, attempts, pacedMs } = await call((signal) => bot.createConversation(serviceUrl, params, signal), {
          deadlineMs,
          signal: context.signal,
          log,
          channelId: target.channelId,
          exchange: context.exchange,
        });
        const id = activityIdOf(conversationId);
        log.info(
          {
            activityId: id,
            bytes,
            textBytes,
            attempts,
            pacedMs,
            refused,
            image: choice ? { path: choice.path, mime: choice.mime, width: choice.width, height: choice.height, imageBytes: choice.imageBytes, reason: choice.reason } : null,
          },
          choice ? `teams: posted; image ${choice.path}: ${choice.reason}` : 'teams: posted',
        );
        return { id, conversationId, image: choice, bytes, refused, attempts, pacedMs };
      } catch (err) {
        if (connectorFailure(err).status === 413 && steps.length > 0) {
          log.warn({ imagePath: step.path, bytes }, 'teams: message too large (413); trying a smaller image');
          refused.push(step.path);
          steps = afterRefusal(step, choice?.imageBytes ?? 0, steps);
          continue;
        }
        throw toDeliveryError(err, { serviceUrl, authority: bot.authority, redact });
      }
    }
    // Unreachable: the ladder always ends with 'none', which posts or throws.
    throw new CourierError('DELIVERY_FAILED', 'Teams refused every size of this message');
  }

  return {
    postWithReport,
    async post(target, message, context) {
      const { id } = await postWithReport(target, message, context);
      return { id };
    },
    async listChannels(teamId: string, serviceUrl = defaultServiceUrl): Promise<TeamsChannelInfo[]> {
      assertServiceUrlAllowed(serviceUrl, config.teamsServiceUrls);
      try {
        const { value: channels } = await call((signal) => bot.fetchChannelList(serviceUrl, teamId, signal), { deadlineMs: now().getTime() + DEFAULT_BUDGET_MS, log: deps.log });
        // Teams gives the General channel no name.
        return channels.map((c) => ({ id: c.id ?? '', name: c.name ?? 'General' }));
      } catch (err) {
        throw toDeliveryError(err, { serviceUrl, authority: bot.authority, redact, listing: teamId });
      }
    },
    async checkToken(): Promise<void> {
      try {
        await bot.refreshToken();
      } catch (err) {
        throw toDeliveryError(err, { serviceUrl: null, authority: bot.authority, redact });
      }
    },
  };
}

function byteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** Teams answers a channel thread as "<channel id>;messageid=<activity id>". */
export function activityIdOf(conversationId: string): string {
  return /;messageid=([^;]+)/.exec(conversationId)?.[1] ?? conversationId;
}
