// `courier demo --serve`: the demo's local stack and its worker, kept
// running until Ctrl-C (SIGINT) or SIGTERM, for trying the README's and the
// docs' commands by hand. It prints the environment that reaches the stack,
// as KEY=value lines a shell can source or a .env file can hold, and writes
// them to <out>/demo.env, with the backend's token in <out>/toucan-token
// (for --token-file; COURIER_TOKEN carries it too). On a signal the worker
// drains (SIGTERM, as an operator stops it), everything stops, exit 0.
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DEMO_CHANNEL, DEMO_TEAM, shownPath, startDemoStack, type DemoStack } from './demo-stack.js';
import { freePort } from './redis-server.js';

export interface ServeOptions {
  outDir: string;
  redisUrl: string;
  /** The worker's HTTP port: HTTP_PORT when set, else courier's default 9464 when free, else any free port. */
  httpPort?: number;
  print: (line: string) => void;
  /** Resolves when the demo should stop (default: the first SIGINT or SIGTERM). */
  until?: Promise<unknown>;
}

/** The default HTTP_PORT: the docs' `curl http://127.0.0.1:9464/…` lines then reach the demo's worker. */
const DEFAULT_HTTP_PORT = 9464;

/** A value as `sh` and dotenv both read it back unchanged: bare when it is plain, else in single quotes. */
export function envValue(value: string): string {
  return /^[\w@%+=:,./-]*$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** KEY=value lines, in the order given. */
export function envLines(environment: Record<string, string>): string[] {
  return Object.entries(environment).map(([key, value]) => `${key}=${envValue(value)}`);
}

/** What a shell needs to reach the served stack: the worker's settings, and the token for enqueue and render. */
export function servedEnvironment(demo: DemoStack): Record<string, string> {
  return { ...demo.environment, COURIER_TOKEN: demo.stack.token };
}

async function portToUse(requested: number | undefined): Promise<number> {
  if (requested !== undefined) return requested;
  const probe = await freePortIfFree(DEFAULT_HTTP_PORT);
  return probe ?? freePort();
}

/** The port itself when nothing listens on it, else null. */
function freePortIfFree(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(port)));
  });
}

function firstSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      // A second Ctrl-C while stopping: leave at once (the worker is killed by demo-stack's exit guard).
      const again = (): never => process.exit(130);
      process.once('SIGINT', again);
      process.once('SIGTERM', again);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export async function serveDemo(options: ServeOptions): Promise<void> {
  const { print } = options;
  const httpPort = await portToUse(options.httpPort);
  let workerDied: (reason: Error) => void = () => undefined;
  const died = new Promise<never>((_, reject) => (workerDied = reject));
  died.catch(() => undefined);
  const demo = await startDemoStack({
    outDir: options.outDir,
    redisUrl: options.redisUrl,
    httpPort,
    print,
    onWorkerLine: (line) => {
      if (line.level === 'error' || line.level === 'fatal') print(`worker ${line.level}: ${line.msg ?? ''}${line.reason ? ` (${line.reason})` : ''}`);
    },
  });
  let stopped = false;
  void demo.worker.exit.then((status) => {
    if (!stopped) workerDied(new Error(`the worker exited by itself (status ${status ?? 'signal'}); see its error lines above`));
  });
  try {
    // The alert example reads this KPI (jobs/examples/alert.json): above its threshold, so it evaluates "ok".
    demo.stack.setKpi('revenue', { value: 1250 });
    const tokenFile = join(demo.out, 'toucan-token');
    await writeFile(tokenFile, `${demo.stack.token}\n`, { mode: 0o600 });
    const lines = envLines(servedEnvironment(demo));
    const envFile = join(demo.out, 'demo.env');
    await writeFile(envFile, `# courier demo --serve: the environment of the local stack (valid while it runs)\n${lines.join('\n')}\n`, { mode: 0o600 });

    print('');
    print(`# The environment to use, also in ${shownPath(envFile)}. In another shell: set -a; . ${shownPath(envFile)}; set +a`);
    for (const line of lines) print(line);
    print('');
    print(`# The Toucan token is in ${shownPath(tokenFile)} (for --token-file) and in COURIER_TOKEN.`);
    print(`# Teams: team ${DEMO_TEAM}, channel ${DEMO_CHANNEL.id} (${DEMO_CHANNEL.name}); emails and cards land in ${shownPath(demo.out)}/.`);
    print(`# The console: http://127.0.0.1:${httpPort}/admin/ (log in with ADMIN_TOKEN=${demo.environment.ADMIN_TOKEN} to look, or ADMIN_WRITE_TOKEN to also retry)`);
    print('# Try: npx courier doctor; npx courier enqueue screenshot jobs/examples/screenshot.annotated-email.json --wait');
    print('# Serving until Ctrl-C.');
    await Promise.race([options.until ?? firstSignal(), died]);
    print('# stopping: the worker drains, then the stack stops');
  } finally {
    stopped = true;
    await demo.stop();
  }
}
