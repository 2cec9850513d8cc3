// bull-board (@bull-board/api, @bull-board/ui, through its Hono adapter):
// two boards over the same queues, one read-only (bull-board's
// readOnlyMode: no retry, promote or remove button, its API answers 405)
// and one that may write; app.ts hands each request to the one its
// credential allows. Job data and results pass through courier's scrub
// before bull-board shows them, and each job links to courier's own view.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Queue } from 'bullmq';
import { Hono } from 'hono';
import { scrubSecrets } from '../queue/scrub.js';
import type { Role } from './auth.js';
import { jobHref } from './pages.js';

export const BASE_PATH = '/admin';

function titleOf(data: unknown): string {
  const d = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
  const title = d.title ?? d.name ?? d.alertId;
  return typeof title === 'string' ? title : '';
}

function adapterOf(queue: Queue, readOnlyMode: boolean): BullMQAdapter {
  const adapter = new BullMQAdapter(queue, {
    readOnlyMode,
    description: `courier's ${queue.name} queue`,
    externalJobUrl: (job) => ({ displayText: "courier's view", href: jobHref(queue.name, String(job.id)) }),
  });
  adapter.setFormatter('data', scrubSecrets);
  adapter.setFormatter('returnValue', scrubSecrets);
  // The job's name is its queue's (producer.ts); the title says which story or report it is. React shows it as text.
  adapter.setFormatter('name', (job: { name?: string; data?: unknown }) => [job.name, titleOf(job.data)].filter(Boolean).join(': '));
  return adapter;
}

/** The Hono app of one board, mounted at BASE_PATH. */
function board(queues: Queue[], role: Role): Hono {
  const serverAdapter = new HonoAdapter(serveStatic).setBasePath(BASE_PATH);
  createBullBoard({
    queues: queues.map((q) => adapterOf(q, role === 'read')),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'courier',
        hideDocsLink: true,
        miscLinks: [
          { text: 'Failures (courier)', url: `${BASE_PATH}/courier/` },
          { text: 'Log out', url: `${BASE_PATH}/logout` },
        ],
      },
    },
  });
  // Not strict: bull-board's entry route '/' under the base path is both /admin and /admin/.
  return new Hono({ strict: false }).route(BASE_PATH, serverAdapter.registerPlugin());
}

export function createBoards(queues: Queue[]): Record<Role, Hono> {
  return { read: board(queues, 'read'), write: board(queues, 'write') };
}
