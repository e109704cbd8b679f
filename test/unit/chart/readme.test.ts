// The chart's README documents every value: one row per value of
// values.schema.json (an object with properties is a group, anything else a
// value) and of values.yaml, and no row for a value that does not exist.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { repoRoot } from '../../cluster/layout.js';

const chartDir = join(repoRoot, 'charts', 'stateful-volume-operator');

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
}

/** The paths of the schema's values: nodes without properties ($ref, arrays, free-form objects). */
function schemaValues(node: SchemaNode, prefix = ''): string[] {
  return Object.entries(node.properties ?? {}).flatMap(([key, child]) => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    return child.properties === undefined ? [path] : schemaValues(child, path);
  });
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The paths of values.yaml down to the schema's values: a default map that the
 * schema takes as one value (resources.requests, podSecurityContext) is one value.
 */
function defaultValues(values: unknown, schema: SchemaNode, prefix = ''): string[] {
  if (!isMap(values)) return [];
  return Object.entries(values).flatMap(([key, value]) => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const child = schema.properties?.[key];
    if (child?.properties === undefined || !isMap(value)) return [path];
    return defaultValues(value, child, path);
  });
}

/** The value each row of the README's values table names: its first cell, in backticks. */
function readmeRows(markdown: string): string[] {
  return markdown
    .split('\n')
    .map((line) => /^\|\s*`([^`]+)`\s*\|/.exec(line)?.[1])
    .filter((v): v is string => v !== undefined);
}

const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as SchemaNode;
const values = load(readFileSync(join(chartDir, 'values.yaml'), 'utf8'));
const rows = readmeRows(readFileSync(join(chartDir, 'README.md'), 'utf8'));

test('every value of values.schema.json and values.yaml has a row in the chart README', () => {
  const documented = new Set(rows);
  const all = new Set([...schemaValues(schema), ...defaultValues(values, schema)]);
  assert.ok(all.size > 40, `found only ${String(all.size)} values`);
  const missing = [...all].filter((v) => !documented.has(v));
  assert.deepEqual(missing, [], 'add a row for each to charts/stateful-volume-operator/README.md');
});

test('the README has one row per value and none for a value the chart does not take', () => {
  const known = new Set(schemaValues(schema));
  assert.deepEqual(
    rows.filter((r) => !known.has(r)),
    [],
    'rows naming no value of values.schema.json',
  );
  assert.deepEqual(
    rows.filter((r, i) => rows.indexOf(r) !== i),
    [],
    'values with more than one row',
  );
});

test('every default of values.yaml is a value of the schema', () => {
  const known = new Set(schemaValues(schema));
  assert.deepEqual(
    defaultValues(values, schema).filter((v) => !known.has(v)),
    [],
  );
});

test('a value missing from the README is found', () => {
  const withNew: SchemaNode = {
    properties: { ...schema.properties, extra: { properties: { enabled: {} } } },
  };
  assert.ok(schemaValues(withNew).includes('extra.enabled'));
  assert.ok(!rows.includes('extra.enabled'));
  assert.deepEqual(defaultValues({ resources: { limits: { memory: '1Gi' } } }, schema), ['resources.limits']);
});
