// `courier teams channels <teamId> [--service-url <url>]`: the channels of a
// team that the bot can post to, one "<id><TAB><name>" line each, so an
// operator can copy a channel id into a job's `deliver` target. Without
// --service-url it asks TEAMS_DEFAULT_SERVICE_URL (Microsoft's global
// endpoint of MICROSOFT_CLOUD unless set).
import type { Command } from 'commander';
import { createTeamsSender } from '../delivery/teams.js';
import { isCourierError } from '../errors.js';
import { CONFIG_EXIT, fail, startCommand } from './shared.js';

export function register(program: Command): void {
  const teams = program.command('teams').description('Microsoft Teams helpers');
  teams
    .command('channels')
    .description("lists the team's channels (id and name) that the bot can post to")
    .argument('<teamId>', 'the team id, e.g. 19:…@thread.tacv2 (from "Get link to team" in Teams)')
    .option('--service-url <url>', 'the Bot Connector service URL (default: TEAMS_DEFAULT_SERVICE_URL, Microsoft\'s global endpoint https://smba.trafficmanager.net/teams/ unless set)')
    .option('--json', 'print a JSON array of { id, name } instead of lines')
    .action(async (teamId: string, options: { serviceUrl?: string; json?: boolean }) => {
      const { config, log } = startCommand();
      if (!config.microsoft.appId) {
        fail(new Error('Microsoft Teams is not configured: set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD (and MICROSOFT_APP_TENANT_ID for a single-tenant bot)'), CONFIG_EXIT);
      }
      try {
        const channels = await createTeamsSender({ config, log }).listChannels(teamId, options.serviceUrl);
        if (options.json) {
          process.stdout.write(`${JSON.stringify(channels, null, 2)}\n`);
        } else {
          for (const channel of channels) process.stdout.write(`${channel.id}\t${channel.name}\n`);
          if (channels.length === 0) process.stderr.write('the team has no channel the bot can see\n');
        }
      } catch (err) {
        // A listing delivers nothing: its failure is said as a listing's, without DELIVERY_FAILED.
        if (isCourierError(err) && err.code === 'FORBIDDEN_URL') fail(err, CONFIG_EXIT); // --service-url or TEAMS_DEFAULT_SERVICE_URL outside TEAMS_SERVICE_URLS
        fail(isCourierError(err) && err.code === 'DELIVERY_FAILED' ? `courier: ${err.detail}` : err);
      }
    });
}
