#!/usr/bin/env node
// Entry point: flags and environment in, exit code out.
import { ConfigError, parseConfig } from './config.js';
import { registerControllers } from './controllers/index.js';
import { runOperator } from './operator.js';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(parsed.output);
    return 0;
  }
  return runOperator(parsed.config, registerControllers);
}

process.exitCode = await main();
