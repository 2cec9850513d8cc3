// `courier doctor`'s Teams line: can the bot's app id and password be
// exchanged for a token, and from where. Never throws: the answer is a line.
import { withTimeout } from '../deadline.js';
import { CourierError, errorMessage, isCourierError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { TEAMS_CLOUD_SETTINGS } from '../teams-clouds.js';
import { authorityOf } from './teams-connector.js';
import { redactSecrets } from './teams-errors.js';
import { createTeamsSender, type TeamsConfig } from './teams.js';

/**
 * doctor: exchanges the app id and password for a token (no cache) and says
 * where from. Never throws.
 */
export async function checkTeams(config: TeamsConfig, log?: Logger, timeoutMs = 20_000): Promise<{ ok: boolean; detail: string }> {
  if (!config.microsoft.appId || !config.microsoft.appPassword) {
    return { ok: false, detail: 'Teams is not configured: set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD' };
  }
  const quiet = log ?? createLogger('silent');
  try {
    const sender = createTeamsSender({ config, log: quiet });
    // Safe to abandon on timeout: a token request changes nothing anywhere.
    await withTimeout(
      sender.checkToken(),
      timeoutMs,
      () => new CourierError('DELIVERY_FAILED', `no answer from ${authorityOf(config)} within ${Math.round(timeoutMs / 1000)} s: check MICROSOFT_LOGIN_URL and the network path to it`),
    );
    const cloud = config.microsoft.cloud === 'public' ? '' : `, ${TEAMS_CLOUD_SETTINGS[config.microsoft.cloud].name}`;
    return { ok: true, detail: `token obtained from ${authorityOf(config)} for app ${config.microsoft.appId} (${config.microsoft.appType}${cloud})` };
  } catch (err) {
    return { ok: false, detail: isCourierError(err) ? err.detail : redactSecrets(errorMessage(err), [config.microsoft.appPassword]) };
  }
}

