// The Lua scripts ship as files in lua/: each one courier defines is there,
// and each file there is one courier defines (none forgotten on either side).
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromRoot } from '../../src/paths.js';
import { LUA_SCRIPTS, luaSource, type LuaScript } from '../../src/redis/lua.js';

describe('lua/', () => {
  it('holds exactly the scripts courier defines', () => {
    const files = readdirSync(fromRoot('lua')).filter((f) => f.endsWith('.lua')).map((f) => f.replace(/\.lua$/, ''));
    expect(files.sort()).toEqual(Object.keys(LUA_SCRIPTS).sort());
  });

  it.each(Object.keys(LUA_SCRIPTS) as LuaScript[])('%s reads its keys from KEYS and returns a value', (script) => {
    const source = luaSource(script);
    const highestKey = Math.max(0, ...[...source.matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1])));
    expect(highestKey).toBe(LUA_SCRIPTS[script]);
    expect(source).toMatch(/^return /m);
  });
});
