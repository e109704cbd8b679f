// The mirror controller as a real operator process, for the tests that kill
// and restart processes (leader election). Same flags as src/main.ts.
import { parseConfig } from '../../../src/config.js';
import { runOperator } from '../../../src/operator.js';
import { registerMirror } from './mirror-controller.js';

const parsed = parseConfig(process.argv.slice(2), process.env);
if (parsed.help) throw new Error('--help is not meaningful here');
const delay = process.env.MIRROR_WRITE_DELAY_MS;
process.exitCode = await runOperator(parsed.config, (mgr, config) => {
  registerMirror(mgr, {
    concurrency: config.concurrency,
    ...(delay !== undefined ? { writeDelayMs: Number(delay) } : {}),
  });
});
