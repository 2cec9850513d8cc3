// The identity platform half of the Bot Connector stand-in (bot-connector.ts
// serves both on one https port): the OpenID metadata MSAL asks for
// (GET /<tenant>/v2.0/.well-known/openid-configuration) and the token
// endpoint (POST /<tenant>/oauth2/v2.0/token, grant_type=client_credentials),
// which checks client_id, client_secret, the tenant and the scope as Entra ID
// does, and issues opaque bearer tokens that expire. The connector half asks
// it whether a bearer token is one it issued.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { json, readBody } from './bot-connector-http.js';
import type { BotApp, IssuedToken, TokenRequest } from './bot-connector-types.js';

/** The scope botbuilder asks for when it talks to the Bot Connector (public cloud). */
export const BOT_FRAMEWORK_SCOPE = 'https://api.botframework.com/.default';
/** The scope of the US Government clouds (GCC High, DoD). */
export const BOT_FRAMEWORK_GOV_SCOPE = 'https://api.botframework.us/.default';

/** The tenant a multi-tenant bot's token comes from (public cloud). */
export const MULTI_TENANT_AUTHORITY = 'botframework.com';
/** The tenant a multi-tenant bot's token comes from in the US Government clouds. */
export const GOV_MULTI_TENANT_AUTHORITY = 'MicrosoftServices.onmicrosoft.us';

export class IdentityStandIn {
  readonly tokenRequests: TokenRequest[] = [];
  readonly metadataRequests: string[] = [];
  private readonly apps: BotApp[];
  private readonly tokens = new Map<string, IssuedToken>();

  constructor(
    apps: BotApp[],
    /** Lifetime of the tokens issued (Entra ID's default: just under an hour). */
    private readonly tokenLifetimeSeconds = 3599,
  ) {
    this.apps = [...apps];
  }

  /** Serves the request if it is one of the identity platform's; false if it is not. */
  async route(req: IncomingMessage, res: ServerResponse, path: string, baseUrl: string): Promise<boolean> {
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && (m = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path))) {
      this.openIdConfiguration(res, decodeURIComponent(m[1]!), baseUrl);
      return true;
    }
    if (req.method === 'POST' && (m = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path))) {
      await this.token(req, res, decodeURIComponent(m[1]!));
      return true;
    }
    return false;
  }

  /** The app a bearer token was issued to, while it has not expired or been revoked. */
  appOf(token: string | undefined): string | null {
    const issued = token !== undefined ? this.tokens.get(token) : undefined;
    return issued && issued.expiresAt > Date.now() ? issued.appId : null;
  }

  addApp(app: BotApp): void {
    this.apps.push(app);
  }

  /** Forgets every issued token (as after a revocation). */
  revokeTokens(): void {
    this.tokens.clear();
  }

  private openIdConfiguration(res: ServerResponse, tenant: string, baseUrl: string): void {
    this.metadataRequests.push(tenant);
    const base = `${baseUrl}/${encodeURIComponent(tenant)}`;
    // The fields MSAL requires (isOpenIdConfigResponse) and a few a real one has.
    json(res, 200, {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      issuer: `${base}/v2.0`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    });
  }

  private async token(req: IncomingMessage, res: ServerResponse, tenant: string): Promise<void> {
    const form = new URLSearchParams((await readBody(req)).toString('utf8'));
    const clientId = form.get('client_id') ?? '';
    const record: TokenRequest = { tenant, clientId, scope: form.get('scope') ?? '', grantType: form.get('grant_type') ?? '', status: 0, at: new Date() };
    this.tokenRequests.push(record);
    const refuse = (status: number, error: string, description: string): void => {
      record.status = status;
      // Like Entra ID: an error code and an AADSTS sentence, never the secret that was sent.
      json(res, status, { error, error_description: description, error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)] });
    };
    if (record.grantType !== 'client_credentials') return refuse(400, 'unsupported_grant_type', 'AADSTS70003: The app requested an unsupported grant type.');
    const app = this.apps.find((a) => a.appId === clientId);
    const botDirectory = app?.government ? GOV_MULTI_TENANT_AUTHORITY : MULTI_TENANT_AUTHORITY;
    // Directory names are case-insensitive (MSAL lowercases them).
    const same = (a: string | undefined, b: string): boolean => a !== undefined && a.toLowerCase() === b.toLowerCase();
    const inTenant = app !== undefined && (same(app.tenantId, tenant) || (app.multiTenant === true && same(botDirectory, tenant)));
    if (!app || !inTenant) {
      return refuse(400, 'unauthorized_client', `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${tenant}'.`);
    }
    if (form.get('client_secret') !== app.password) {
      return refuse(401, 'invalid_client', `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
    }
    if (record.scope !== (app.government ? BOT_FRAMEWORK_GOV_SCOPE : BOT_FRAMEWORK_SCOPE)) {
      return refuse(400, 'invalid_scope', `AADSTS70011: The provided value for the input parameter 'scope' is not valid: ${record.scope}`);
    }
    const lifetime = this.tokenLifetimeSeconds;
    const accessToken = `stand-in.${randomBytes(24).toString('base64url')}`;
    this.tokens.set(accessToken, { appId: app.appId, expiresAt: Date.now() + lifetime * 1000 });
    record.status = 200;
    json(res, 200, { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken });
  }
}
