// Fencing is the cluster administrator's decision, taken with operator flags:
// the default is the safe mode, and a mistake stops the process (exit 2).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseConfig, usage, type OperatorConfig } from '../../../src/config.js';

function config(argv: string[]): OperatorConfig {
  const parsed = parseConfig(argv, {});
  if (parsed.help) throw new Error('unexpected --help');
  return parsed.config;
}

test('by default a confirmed shutdown is required, on every node', () => {
  assert.deepEqual(config([]).fencing, { mode: 'ConfirmedShutdown', nodeSelector: {}, nodeSelectorText: '' });
});

test('the mode and the node selector are taken from their flags', () => {
  const c = config(['--fencing-mode=LeaseSilence', '--fencing-node-selector', 'pool=db,!spot']);
  assert.deepEqual(c.fencing, {
    mode: 'LeaseSilence',
    nodeSelector: {
      matchLabels: { pool: 'db' },
      matchExpressions: [{ key: 'spot', operator: 'DoesNotExist' }],
    },
    nodeSelectorText: 'pool=db,!spot',
  });
  assert.equal(config(['--fencing-mode=Disabled']).fencing.mode, 'Disabled');
});

const refused: [string, string[], RegExp][] = [
  [
    'an unknown mode is refused with the modes there are',
    ['--fencing-mode=Always'],
    /--fencing-mode: "Always" must be one of Disabled, ConfirmedShutdown, LeaseSilence/,
  ],
  ['a mode in the wrong case is refused', ['--fencing-mode=leasesilence'], /--fencing-mode: "leasesilence"/],
  [
    'a selector that does not parse is refused, naming the flag',
    ['--fencing-node-selector=zone in (a'],
    /--fencing-node-selector: "zone in \(a" is not a label selector/,
  ],
];
for (const [name, argv, message] of refused)
  test(name, () => {
    assert.throws(
      () => parseConfig(argv, {}),
      (err: unknown) => err instanceof ConfigError && message.test(err.message),
    );
  });

test('--help documents both flags and the risk of LeaseSilence', () => {
  assert.match(usage, /--fencing-mode ConfirmedShutdown/);
  assert.match(usage, /--fencing-node-selector/);
  assert.match(usage, /split brain/);
});
