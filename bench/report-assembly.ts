// `npm run bench:report-assembly [-- --runs N] [-- --b <module>]`: a 20-page report's
// assembly alone, its time and its size (issue 25's goal: both within
// 1.2 × what they were before reports were tagged).
//
// The three slides of the demo story are rendered once by the production
// renderer (a vector PDF and a 2× PNG each, as a report page is captured)
// and kept in --captures, so that runs on two builds assemble the very same
// bytes. Then, in one process, a 20-page report is assembled --runs times in
// this thread (assembleReport, no worker-thread start-up in the figure),
// twice: every story vector, and every story raster (PNG only). With
// `--b <path to another assemble module>` (a copy of the old sources, see
// bench/README.md) the two implementations alternate run by run, so a burst
// of other work on the machine falls on both alike.
//
// Writes bench/results/report-assembly.json and report-assembly.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { BrowserPool, findChromium } from '../src/browser/pool.js';
import { createRenderer } from '../src/browser/render.js';
import { loadConfig } from '../src/config.js';
import { ToucanStack } from '../src/demo/toucan-stack.js';
import { createLogger } from '../src/log.js';
import { fromRoot } from '../src/paths.js';
import type { AssembleRequest, AssembledReport, ReportPageInput } from '../src/report/types.js';
import { resolveStoryUrl } from '../src/urls.js';
import { describeMachine } from './lib/machine.js';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '12' },
    pages: { type: 'string', default: '20' },
    captures: { type: 'string', default: join(tmpdir(), 'courier-report-captures') },
    a: { type: 'string' },
    b: { type: 'string' },
    out: { type: 'string', default: fromRoot('bench', 'results') },
  },
});
const SLIDES = ['sales', 'revenue', 'churn'] as const;
type Assemble = (req: AssembleRequest) => Promise<AssembledReport>;

/** The demo's three slides, rendered once and kept on disk (vector PDF, PNG at 2×). */
async function captures(dir: string): Promise<Required<Pick<ReportPageInput, 'pdf' | 'png'>>[]> {
  if (!SLIDES.every((s) => existsSync(join(dir, `${s}.pdf`)))) {
    mkdirSync(dir, { recursive: true });
    const stack = await ToucanStack.start();
    const config = loadConfig({ FRONTEND_URL: stack.frontendUrl, BACKEND_URL: stack.backendUrl, HTTP_PORT: '0', LOG_LEVEL: 'warn', ARTIFACTS_DIR: dir });
    const log = createLogger('warn');
    const pool = new BrowserPool({ config, log });
    try {
      const renderer = createRenderer({ config, pool, log });
      for (const slide of SLIDES) {
        const result = await renderer.render({
          url: resolveStoryUrl(`/demo?slide=${slide}`, config.frontendUrl),
          selector: config.selector,
          timeoutMs: 30_000,
          viewport: { width: 1280, height: 618, deviceScaleFactor: 2 },
          formats: ['pdf', 'png'],
          token: stack.token,
        });
        const [pdf, png] = result.captures;
        if (!pdf || !png) throw new Error('the renderer returned fewer captures than asked');
        writeFileSync(join(dir, `${slide}.pdf`), pdf.data);
        writeFileSync(join(dir, `${slide}.png`), png.data);
        writeFileSync(join(dir, `${slide}.json`), JSON.stringify({ width: png.width, height: png.height }));
      }
    } finally {
      await pool.close();
      await stack.close();
    }
  }
  return SLIDES.map((s) => {
    const size = JSON.parse(readFileSync(join(dir, `${s}.json`), 'utf8')) as { width: number; height: number };
    return { pdf: readFileSync(join(dir, `${s}.pdf`)), png: { data: readFileSync(join(dir, `${s}.png`)), ...size, deviceScaleFactor: 2 } };
  });
}

function request(kind: 'vector' | 'raster', pages: number, shots: Awaited<ReturnType<typeof captures>>): AssembleRequest {
  return {
    title: 'Weekly sales review',
    smallApp: 'Sales Pulse',
    generatedAt: new Date('2026-12-07T07:00:00Z'),
    timezone: 'Europe/Paris',
    lang: 'fr-FR',
    layout: { format: 'A4', landscape: true, cover: true, pageNumbers: true },
    pages: Array.from({ length: pages }, (_, i) => {
      const shot = shots[i % shots.length]!;
      return { title: `Story ${i + 1}: ${SLIDES[i % SLIDES.length]}`, ...(kind === 'vector' ? { pdf: shot.pdf } : {}), png: shot.png };
    }),
  };
}

async function load(path: string | undefined): Promise<Assemble> {
  const url = path ? pathToFileURL(resolve(path)).href : new URL('../src/report/assemble.js', import.meta.url).href;
  return ((await import(url)) as { assembleReport: Assemble }).assembleReport;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((x, y) => x - y);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

const runs = Math.max(1, Number(flags.runs));
const pages = Math.max(1, Number(flags.pages));
const shots = await captures(flags.captures);
const impls: [string, Assemble][] = [['a', await load(flags.a)]];
if (flags.b) impls.push(['b', await load(flags.b)]);

const rows: { impl: string; path: string; kind: string; medianMs: number; minMs: number; cpuMedianMs: number; cpuMinMs: number; bytes: number; pdfPages: number }[] = [];
for (const kind of ['vector', 'raster'] as const) {
  const req = request(kind, pages, shots);
  const times = new Map<string, number[]>(impls.map(([name]) => [name, []]));
  // CPU time of this process too: on a shared machine, wall time mostly measures the neighbours.
  const cpu = new Map<string, number[]>(impls.map(([name]) => [name, []]));
  const sizes = new Map<string, AssembledReport>();
  // One warm-up each (fonts read from disk, JIT), then alternating runs.
  for (const [name, assemble] of impls) sizes.set(name, await assemble(req));
  for (let run = 0; run < runs; run++) {
    for (const [name, assemble] of run % 2 ? [...impls].reverse() : impls) {
      const start = performance.now();
      const startCpu = process.cpuUsage();
      await assemble(req);
      times.get(name)!.push(performance.now() - start);
      const used = process.cpuUsage(startCpu);
      cpu.get(name)!.push((used.user + used.system) / 1000);
    }
  }
  for (const [name] of impls) {
    const ms = times.get(name)!;
    const report = sizes.get(name)!;
    rows.push({ impl: name, path: (name === 'a' ? flags.a : flags.b) ?? 'src/report/assemble.ts', kind, medianMs: Math.round(median(ms)), minMs: Math.round(Math.min(...ms)), cpuMedianMs: Math.round(median(cpu.get(name)!)), cpuMinMs: Math.round(Math.min(...cpu.get(name)!)), bytes: report.bytes, pdfPages: report.pages });
  }
}

mkdirSync(flags.out, { recursive: true });
const result = { date: new Date().toISOString(), machine: describeMachine(findChromium(undefined)), runs, pages, rows };
writeFileSync(join(flags.out, 'report-assembly.json'), `${JSON.stringify(result, null, 2)}\n`);
const lines = [
  `# Report assembly (${pages} stories, ${runs} runs each, ${result.date.slice(0, 10)})`,
  '',
  `Load average when the run started: ${result.machine.loadAverage} on ${result.machine.cores} cores.`,
  '',
  '| build | stories | median ms | min ms | CPU median ms | CPU min ms | bytes | PDF pages |',
  '|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.impl} (${r.path}) | ${r.kind} | ${r.medianMs} | ${r.minMs} | ${r.cpuMedianMs} | ${r.cpuMinMs} | ${r.bytes} | ${r.pdfPages} |`),
];
writeFileSync(join(flags.out, 'report-assembly.md'), `${lines.join('\n')}\n`);
process.stdout.write(`${lines.join('\n')}\n`);
