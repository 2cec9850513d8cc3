// courier's own Lua scripts, kept as files in lua/ (beside templates/, so the
// same path serves src/ under vitest and dist/ in the image) and defined on a
// client once as ioredis commands: ioredis sends EVALSHA and falls back to
// EVAL only when Redis does not know the script yet (after a restart or a
// failover), instead of sending the whole script on every call.
import { readFileSync } from 'node:fs';
import { fromRoot } from '../paths.js';
import type { RedisClient } from './connection.js';

/** The scripts in lua/, by file name (without .lua), with the number of keys each takes. */
export const LUA_SCRIPTS = {
  'alert-commit': 5,
  'alert-settle': 2,
  'lock-renew': 1,
  'lock-release': 1,
  'receipt-claim': 1,
  'receipt-settle': 1,
  'teams-pace-take': 1,
  'schedule-history-write': 4,
} as const;

export type LuaScript = keyof typeof LUA_SCRIPTS;

/** Runs a script: its keys first (LUA_SCRIPTS says how many), then its arguments. */
export type LuaCommand = (...keysThenArgs: (string | number)[]) => Promise<unknown>;

const sources = new Map<LuaScript, string>();

export function luaSource(script: LuaScript): string {
  let source = sources.get(script);
  if (source === undefined) {
    source = readFileSync(fromRoot('lua', `${script}.lua`), 'utf8');
    sources.set(script, source);
  }
  return source;
}

/** The ioredis command name of a script: `courier:` keeps clear of Redis' own command names. */
function commandName(script: LuaScript): string {
  return `courier:${script}`;
}

/** The script as a command of `client`, defined on first use. */
export function luaCommand(client: RedisClient, script: LuaScript): LuaCommand {
  const name = commandName(script);
  // defineCommand adds the command as a method of the client; the index type is ioredis' dynamic side.
  const methods = client as unknown as Record<string, LuaCommand | undefined>;
  if (typeof methods[name] !== 'function') client.defineCommand(name, { numberOfKeys: LUA_SCRIPTS[script], lua: luaSource(script) });
  const command = methods[name] as LuaCommand;
  return (...keysThenArgs) => command.apply(client, keysThenArgs);
}
