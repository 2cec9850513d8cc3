// What every command does first: read the configuration (exit 2 naming every
// wrong variable) and make a logger; how a command fails (the coded error on
// stderr, a non-zero status); and the bearer token's sources, shared by
// render, enqueue and schedules sync.
import { readFile } from 'node:fs/promises';
import { ConfigError, loadConfig, type Config, type LoadOptions } from '../config.js';
import { errorMessage } from '../errors.js';
import { createLogger, type Logger } from '../log.js';

/** CONTRACT §1: a configuration mistake (environment or flag), in every command. */
export const CONFIG_EXIT = 2;

export interface CommandContext {
  config: Config;
  log: Logger;
}

export function startCommand(options: LoadOptions = {}, env: NodeJS.ProcessEnv = process.env): CommandContext {
  try {
    const config = loadConfig(env, options);
    return { config, log: createLogger(config.logLevel) };
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`courier: ${err.message}\n`);
      process.exit(CONFIG_EXIT);
    }
    throw err;
  }
}

/** Prints the error (already coded, e.g. "SELECTOR_TIMEOUT: …") and exits non-zero. */
export function fail(err: unknown, status = 1): never {
  process.stderr.write(`${errorMessage(err)}\n`);
  process.exit(status);
}

/** A mistake in a flag or argument: exits 2 (CONTRACT §1), naming the flag. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `fail`, with status 2 for a UsageError. */
export function failWith(err: unknown): never {
  if (err instanceof UsageError) fail(`courier: ${err.message}`, CONFIG_EXIT);
  fail(err);
}

export interface TokenFlags {
  tokenFile?: string;
  /** `render --token` only: kept for compatibility, but it shows in the process list. */
  token?: string;
}

/**
 * The bearer token for the backend: --token-file, else COURIER_TOKEN (when
 * `fromEnv`), else --token. A token file's surrounding whitespace (a final
 * newline) is not part of the token. undefined when none is given.
 */
export async function tokenOf(flags: TokenFlags, { fromEnv = true }: { fromEnv?: boolean } = {}): Promise<string | undefined> {
  if (flags.tokenFile !== undefined) {
    let text: string;
    try {
      text = await readFile(flags.tokenFile, 'utf8');
    } catch (err) {
      throw new UsageError(`--token-file ${flags.tokenFile}: cannot read it (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`);
    }
    const token = text.trim();
    if (token === '') throw new UsageError(`--token-file ${flags.tokenFile}: the file is empty`);
    return token;
  }
  const env = fromEnv ? process.env.COURIER_TOKEN?.trim() : undefined;
  if (env) return env;
  return flags.token;
}
