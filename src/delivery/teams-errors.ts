// Teams failures in sentences an operator can act on (DELIVERY_FAILED), and
// the redaction that keeps the bot's password and tokens out of them. Duck
// typed on what MSAL and @azure/core-rest-pipeline throw, so nothing here
// imports the SDK (teams-connector.ts does).
import { CourierError, errorMessage, isCourierError } from '../errors.js';

/**
 * Replaces secrets and bearer tokens in a message. Defence in depth: no
 * message courier builds includes them. Secrets shorter than 6 characters are
 * not searched for, as replacing every "p" would garble the sentence.
 */
export function redactSecrets(text: string, secrets: (string | null | undefined)[]): string {
  let out = text.replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/g, 'Bearer [redacted]');
  for (const secret of secrets) {
    if (secret && secret.length >= 6) out = out.split(secret).join('[redacted]');
  }
  return out;
}

interface RestErrorLike {
  statusCode?: number;
  code?: string;
  message?: string;
  response?: { bodyAsText?: string | null };
}

interface MsalErrorLike {
  errorCode: string;
  errorMessage: string;
  status?: number;
}

/** The HTTP status a connector request failed with (RestError from @azure/core-rest-pipeline). */
function connectorStatus(err: unknown): number | undefined {
  const status = (err as RestErrorLike | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function isMsalError(err: unknown): err is MsalErrorLike {
  return typeof (err as MsalErrorLike | null)?.errorCode === 'string' && typeof (err as MsalErrorLike | null)?.errorMessage === 'string';
}

/** The "Description:" part of an MSAL server error (the AADSTS sentence), without trace and correlation ids. */
function msalDescription(err: MsalErrorLike): string {
  const description = /Description:\s*(.*?)(?:\s+-\s+Correlation ID:|\s+-\s+Trace ID:|$)/s.exec(err.errorMessage)?.[1];
  return (description ?? err.errorMessage).trim();
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'REQUEST_SEND_ERROR']);

interface ErrorContext {
  serviceUrl: string | null;
  authority: string;
  redact: (text: string) => string;
  /** The team whose channels were being listed (`courier teams channels`), when that is what failed. */
  listing?: string;
}

/** Turns whatever the SDK threw into DELIVERY_FAILED with a sentence an operator can act on. */
export function toDeliveryError(err: unknown, ctx: ErrorContext): CourierError {
  if (isCourierError(err)) return err;
  const said = ctx.listing !== undefined ? (describeListing(err, ctx, ctx.listing) ?? `cannot list the channels of team ${ctx.listing}: ${describe(err, ctx)}`) : describe(err, ctx);
  return new CourierError('DELIVERY_FAILED', ctx.redact(said));
}

/** A channel list refused by the connector, in a listing's words: nothing was delivered, and the token was fine. */
function describeListing(err: unknown, ctx: ErrorContext, teamId: string): string | null {
  const status = connectorStatus(err);
  if (status !== 403 && status !== 404) return null;
  const rest = err as RestErrorLike | null;
  const said = [rest?.code, rest?.message].filter((part): part is string => typeof part === 'string' && part.length > 0 && !/^\d+$/.test(part)).join(': ');
  const where = ctx.serviceUrl ? `the Bot Connector at ${ctx.serviceUrl}` : 'the Bot Connector';
  return `cannot list the channels of team ${teamId}: ${where} answered HTTP ${status}${said ? ` ${said}` : ''}: the bot is not installed in that team, or the id is not a team's (it is the team id from "Get link to team" in Teams, 19:…@thread.tacv2); add the bot to the team and try again`;
}

function describe(err: unknown, ctx: ErrorContext): string {
  const credentialsHint = 'check MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD (the client secret\'s value, not its id, and not expired)';
  const tenancyHint = 'and MICROSOFT_APP_TYPE / MICROSOFT_APP_TENANT_ID (a single-tenant bot gets its token from its own tenant, a multi-tenant bot from botframework.com)';
  if (isMsalError(err)) {
    const description = msalDescription(err);
    if (err.errorCode === 'invalid_client' || err.status === 401 || err.status === 403) {
      return `Teams authentication failed: ${ctx.authority} refused the bot's app id and password (${err.errorCode}: ${description}); ${credentialsHint}`;
    }
    if (err.errorCode === 'unauthorized_client' || /AADSTS700016|AADSTS90002/.test(description)) {
      return `Teams authentication failed: ${ctx.authority} does not know this app id (${err.errorCode}: ${description}); check MICROSOFT_APP_ID ${tenancyHint}`;
    }
    return `cannot obtain a Teams token from ${ctx.authority} (${err.errorCode}: ${description}); check MICROSOFT_LOGIN_URL and that this host can reach it over https (DNS, firewall or proxy, a certificate Node trusts)`;
  }
  const where = ctx.serviceUrl ? `the Bot Connector at ${ctx.serviceUrl}` : 'the Bot Connector';
  const rest = err as RestErrorLike | null;
  const status = connectorStatus(err);
  const said = [rest?.code, rest?.message].filter((part): part is string => typeof part === 'string' && part.length > 0 && !/^\d+$/.test(part)).join(': ');
  switch (status) {
    case undefined: {
      const code = rest?.code ?? (err as { cause?: { code?: string } } | null)?.cause?.code;
      if (code && NETWORK_CODES.has(code)) return `cannot reach ${where} (${said || code}); check the service URL and the network path to it`;
      return `Teams delivery failed: ${errorMessage(err)}`;
    }
    case 401:
      return `Teams authentication failed: ${where} refused the bot's token (HTTP 401${said ? ` ${said}` : ''}) although ${ctx.authority} issued it; ${credentialsHint}, ${tenancyHint}`;
    case 403:
      if (/InvalidBotApiHost/i.test(said)) {
        return `Teams refused this service URL for the channel's tenant (HTTP 403 ${said}): the tenant is in a government cloud; set MICROSOFT_CLOUD and use that cloud's service URL (see docs/teams.md, Clouds and service URLs)`;
      }
      return `Teams authentication failed: ${where} forbids this bot here (HTTP 403${said ? ` ${said}` : ''}); make sure the bot is installed in the team that owns the channel, that the tenant id is that team's, and that MICROSOFT_APP_TYPE / MICROSOFT_APP_TENANT_ID match the bot's registration`;
    case 404:
      return `Teams answered HTTP 404 (${said || 'not found'}) at ${where}: check the channel or team id and the service URL`;
    case 413:
      return `the message is too large for Teams (HTTP 413${said ? ` ${said}` : ''}) even without its image`;
    case 400:
      return `Teams refused the message (HTTP 400${said ? ` ${said}` : ''}): check the channel id ("19:…@thread.tacv2") and tenant id`;
    default:
      return `Teams answered HTTP ${status}${said ? ` (${said})` : ''} at ${where}`;
  }
}
