import { describe, expect, it } from 'vitest';
import { priorityTargets } from '../../src/browser/renderer-priority.js';

const shell = '/usr/lib/chromium/chromium-headless-shell';

describe('which Chromium processes get the renderers priority', () => {
  it('without the sandbox (as root): the zygote that forks renderers, and the renderers already there', () => {
    // As `ps` showed a worker's Chromium run as root.
    const targets = priorityTargets([
      { pid: 10, commandLine: `${shell} --allow-pre-commit-input --headless --no-sandbox` },
      { pid: 11, commandLine: `${shell} --type=zygote --no-zygote-sandbox --no-sandbox --headless` },
      { pid: 12, commandLine: `${shell} --type=zygote --no-sandbox --headless` },
      { pid: 13, commandLine: `${shell} --type=gpu-process --no-sandbox --headless --use-angle=swiftshader` },
      { pid: 14, commandLine: `${shell} --type=utility --utility-sub-type=network.mojom.NetworkService` },
      { pid: 15, commandLine: `${shell} --type=renderer --headless=old --no-sandbox --enable-automation` },
    ]);
    expect(targets).toEqual({ zygotes: [12], renderers: [15] });
  });

  it('with the sandbox: both zygote processes of its PID namespace (the reaper and the one that forks)', () => {
    // As `ps` showed Chromium run as nobody.
    const targets = priorityTargets([
      { pid: 20, commandLine: `${shell} --headless --remote-debugging-pipe` },
      { pid: 21, commandLine: `${shell} --type=zygote --no-zygote-sandbox --headless` },
      { pid: 22, commandLine: `${shell} --type=zygote --headless` },
      { pid: 23, commandLine: `${shell} --type=zygote --headless` },
      { pid: 24, commandLine: `${shell} --type=gpu-process --headless` },
    ]);
    expect(targets).toEqual({ zygotes: [22, 23], renderers: [] });
  });

  it('does not take a flag that merely mentions a type for the type', () => {
    expect(priorityTargets([{ pid: 30, commandLine: `${shell} --headless --js-flags=--type=renderer-ish --data=--type=zygote2` }])).toEqual({ zygotes: [], renderers: [] });
  });
});
