// The Microsoft clouds a Teams bot can live in, and what differs between
// them: where the bot's app id and password are exchanged for a token, the
// audience that token is for, the directory a multi-tenant bot's token comes
// from, and the fixed Bot Connector endpoint Microsoft documents for bots
// that post unprompted ("proactive" messages). Pure data; config.ts picks the
// defaults from here and teams-connector.ts the token audience.
//
// Sources: learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/send-proactive-messages
// (global service URLs: public, GCC, GCC High, DoD) and botframework-connector's
// AuthenticationConstants / GovernmentConstants (login URL and audience of the
// public and US Government clouds). GCC ("moderate") tenants live in the public
// Azure cloud, so their bots authenticate like public ones; GCC High and DoD
// bots are registered in Azure Government.

export const TEAMS_CLOUDS = ['public', 'gcc', 'gcc-high', 'dod'] as const;
export type TeamsCloud = (typeof TEAMS_CLOUDS)[number];

export interface TeamsCloudSettings {
  /** In words, for messages and doctor. */
  name: string;
  /** The default MICROSOFT_LOGIN_URL. */
  loginUrl: string;
  /** The Bot Connector's token audience; MSAL asks for "<this>/.default". */
  audience: string;
  /** The directory a multi-tenant bot's token comes from. */
  multiTenantAuthority: string;
  /** Microsoft's fixed endpoint for bots that post unprompted. */
  proactiveServiceUrl: string;
  /** The default TEAMS_SERVICE_URLS: the Bot Connector host of this cloud. */
  serviceUrlPrefix: string;
}

const PUBLIC_IDENTITY = { loginUrl: 'https://login.microsoftonline.com', audience: 'https://api.botframework.com', multiTenantAuthority: 'botframework.com' };
const US_GOVERNMENT_IDENTITY = { loginUrl: 'https://login.microsoftonline.us', audience: 'https://api.botframework.us', multiTenantAuthority: 'MicrosoftServices.onmicrosoft.us' };

export const TEAMS_CLOUD_SETTINGS: Record<TeamsCloud, TeamsCloudSettings> = {
  public: {
    name: 'Microsoft public cloud',
    ...PUBLIC_IDENTITY,
    proactiveServiceUrl: 'https://smba.trafficmanager.net/teams/',
    serviceUrlPrefix: 'https://smba.trafficmanager.net/',
  },
  gcc: {
    name: 'Government Community Cloud (GCC)',
    ...PUBLIC_IDENTITY,
    proactiveServiceUrl: 'https://smba.infra.gcc.teams.microsoft.com/teams/',
    serviceUrlPrefix: 'https://smba.infra.gcc.teams.microsoft.com/',
  },
  'gcc-high': {
    name: 'GCC High',
    ...US_GOVERNMENT_IDENTITY,
    proactiveServiceUrl: 'https://smba.infra.gov.teams.microsoft.us/teams/',
    serviceUrlPrefix: 'https://smba.infra.gov.teams.microsoft.us/',
  },
  dod: {
    name: 'Department of Defense (DoD)',
    ...US_GOVERNMENT_IDENTITY,
    proactiveServiceUrl: 'https://smba.infra.dod.teams.microsoft.us/teams/',
    serviceUrlPrefix: 'https://smba.infra.dod.teams.microsoft.us/',
  },
};

export function isTeamsCloud(value: string): value is TeamsCloud {
  return (TEAMS_CLOUDS as readonly string[]).includes(value);
}
