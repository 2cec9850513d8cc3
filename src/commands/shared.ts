// What every command does first: read the configuration (exit 2 naming every
// wrong variable) and make a logger; and how a command fails (the coded
// error on stderr, a non-zero status).
import { ConfigError, loadConfig, type Config, type LoadOptions } from '../config.js';
import { errorMessage } from '../errors.js';
import { createLogger, type Logger } from '../log.js';

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
      process.exit(2);
    }
    throw err;
  }
}

/** Prints the error (already coded, e.g. "SELECTOR_TIMEOUT: …") and exits non-zero. */
export function fail(err: unknown, status = 1): never {
  process.stderr.write(`${errorMessage(err)}\n`);
  process.exit(status);
}
