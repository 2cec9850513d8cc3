// The console as the HTTP server sees it (server/http.ts's AdminConsole),
// made by `courier worker` when ADMIN_TOKEN is set. Nothing of bull-board,
// Hono or the console's queues is loaded until the first request to
// /admin/: a worker whose console nobody opens pays for none of it
// (`npm run bench:console` measures it).
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { AdminConsole } from '../server/http.js';
import type { ConsoleAppDeps } from './app.js';

type Listener = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/** Null when ADMIN_TOKEN is unset: no console at all (/admin/ is 404). */
export function createAdminConsole({ config, log }: { config: Config; log: Logger }): AdminConsole | null {
  if (config.adminToken === null) return null;
  // Without ARTIFACT_LINK_SECRET, the console signs its screenshot links with a key of its own (this process's).
  const linkSecret = config.artifactLinkSecret ?? randomBytes(32).toString('hex');
  const deps: ConsoleAppDeps = { config, log, linkSecret, tokens: { read: config.adminToken, write: config.adminWriteToken } };
  let loading: Promise<{ listener: Listener; close: () => Promise<void> }> | null = null;
  const load = async () => {
    const [{ createConsoleApp }, { getRequestListener }] = await Promise.all([import('./app.js'), import('@hono/node-server')]);
    const { app, reader } = createConsoleApp(deps);
    log.info({ writable: config.adminWriteToken !== null }, 'console loaded at /admin/');
    return { listener: getRequestListener(app.fetch), close: () => reader.close() };
  };
  return {
    linkSecret,
    async handle(req, res) {
      loading ??= load();
      const { listener } = await loading;
      await listener(req, res);
    },
    async close() {
      if (loading) await (await loading).close();
    },
  };
}
