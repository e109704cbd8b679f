// Rules every schema node of the four kinds must follow: documented (kubectl
// explain is the user's manual), bounded (CEL rules are costed against the
// largest value a field may hold), and defaults that pass their own validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kinds } from '../../../src/api/v1alpha1/kinds.js';
import { requiredOf, type KindDefinition, type Schema } from '../../../src/api/v1alpha1/schema.js';

interface Node {
  readonly path: string;
  readonly schema: Schema;
}

function nodes(schema: Schema, path: string): Node[] {
  const out: Node[] = [{ path, schema }];
  if (schema.type === 'object') {
    for (const [name, child] of Object.entries(schema.properties))
      out.push(...nodes(child, `${path}.${name}`));
  }
  if (schema.type === 'array') out.push(...nodes(schema.items, `${path}[]`));
  if (schema.type === 'map') out.push(...nodes(schema.values, `${path}{}`));
  return out;
}

const all: Node[] = kinds.flatMap((k) => [
  ...nodes(k.spec, `${k.kind}.spec`),
  ...nodes(k.status, `${k.kind}.status`),
]);

test('every field, list item and map value has a description that is a sentence', () => {
  const bad = all.filter(({ schema }) => !/^\S.*[.)]$/s.test(schema.description.trim())).map((n) => n.path);
  assert.deepEqual(bad, []);
});

test('the walk covers the fields users ask about', () => {
  const paths = new Set(all.map((n) => n.path));
  for (const path of [
    'StatefulVolume.spec.placement.topologyKey',
    'VolumeBackupPolicy.spec.retention.keepWeekly',
    'VolumeBackup.status.error.reason',
    'FailoverGroup.status.lastFailover.timeline.podsReadyAt',
  ]) {
    assert.ok(paths.has(path), path);
  }
});

function unbounded(schema: Schema): boolean {
  switch (schema.type) {
    case 'string':
      return schema.maxLength === undefined && schema.enum === undefined && schema.format !== 'date-time';
    case 'array':
      return schema.maxItems === undefined;
    case 'map':
      return schema.maxProperties === undefined;
    default:
      return false;
  }
}

test('every string, list and map is bounded, so CEL rules can be costed and objects stay small', () => {
  assert.deepEqual(
    all.filter((n) => unbounded(n.schema)).map((n) => n.path),
    [],
  );
});

test('the keys of every map-type list are required in its items', () => {
  for (const { path, schema } of all) {
    if (schema.type !== 'array' || schema.listType !== 'map') continue;
    assert.equal(schema.items.type, 'object', path);
    for (const key of schema.listMapKeys ?? [])
      assert.ok(requiredOf(schema.items).includes(key), `${path} ${key}`);
  }
});

function stringProblem(schema: Schema & { type: 'string' }, value: unknown): string | undefined {
  if (typeof value !== 'string') return 'not a string';
  if (schema.enum !== undefined && !schema.enum.includes(value)) return 'not in the enum';
  if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value))
    return 'does not match the pattern';
  return undefined;
}

function integerProblem(schema: Schema & { type: 'integer' }, value: unknown): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) return 'not an integer';
  if (schema.minimum !== undefined && value < schema.minimum) return 'below the minimum';
  if (schema.maximum !== undefined && value > schema.maximum) return 'above the maximum';
  return undefined;
}

function objectProblem(schema: Schema & { type: 'object' }, value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not an object';
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    const child = schema.properties[name];
    if (child === undefined) return `unknown field ${name}`;
    const problem = defaultProblem(child, v);
    if (problem !== undefined) return `${name}: ${problem}`;
  }
  return undefined;
}

function defaultProblem(schema: Schema, value: unknown): string | undefined {
  switch (schema.type) {
    case 'string':
      return stringProblem(schema, value);
    case 'integer':
      return integerProblem(schema, value);
    case 'object':
      return objectProblem(schema, value);
    case 'array':
      if (!Array.isArray(value)) return 'not a list';
      return value.map((v) => defaultProblem(schema.items, v)).find((p) => p !== undefined);
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'not a boolean';
    default:
      return undefined;
  }
}

test('every default passes the validation of its own field', () => {
  const problems = all
    .filter((n) => n.schema.default !== undefined)
    .map((n) => [n.path, defaultProblem(n.schema, n.schema.default)])
    .filter(([, p]) => p !== undefined);
  assert.deepEqual(problems, []);
});

test('an object default spells out the defaults of its fields, as the API server validates it as written', () => {
  for (const { path, schema } of all) {
    if (schema.type !== 'object' || schema.default === undefined) continue;
    const value = schema.default as Record<string, unknown>;
    for (const [name, child] of Object.entries(schema.properties)) {
      if (child.default !== undefined) assert.deepEqual(value[name], child.default, `${path}.${name}`);
    }
  }
});

test('no rule compares optional values, whose cost the API server cannot bound', () => {
  const rules = all.flatMap((n) => (n.schema.rules ?? []).map((r) => [n.path, r.rule] as const));
  assert.ok(rules.length > 10, 'the rules were found');
  assert.deepEqual(
    rules.filter(([, rule]) => /\.\?\w+\s*==|==\s*\w+\.\?/.test(rule)),
    [],
  );
});

function resolve(kind: KindDefinition, jsonPath: string): Schema | undefined {
  const [top, ...rest] = jsonPath
    .replace(/\[\?\(.*?\)\]/g, '[]')
    .split('.')
    .filter((s) => s !== '');
  let schema: Schema | undefined = top === 'spec' ? kind.spec : top === 'status' ? kind.status : undefined;
  for (const part of rest) {
    const name = part.replace(/\[\]$/, '');
    schema = schema?.type === 'object' ? schema.properties[name] : undefined;
    if (part.endsWith('[]')) schema = schema?.type === 'array' ? schema.items : undefined;
  }
  return schema;
}

test('every printer column and selectable field points at a field of the schema', () => {
  for (const kind of kinds) {
    for (const column of kind.printerColumns) {
      if (column.jsonPath === '.metadata.creationTimestamp') continue;
      assert.ok(resolve(kind, column.jsonPath), `${kind.kind} column ${column.name}: ${column.jsonPath}`);
    }
    for (const field of kind.selectableFields ?? []) {
      assert.equal(resolve(kind, field)?.type, 'string', `${kind.kind} selectable field ${field}`);
    }
  }
});

test('every kind reports a phase, a Ready condition and the generation it observed', () => {
  for (const kind of kinds) {
    const { phase, conditions, observedGeneration } = kind.status.properties;
    assert.ok(phase?.type === 'string' && phase.enum !== undefined, `${kind.kind} phase`);
    assert.equal(conditions?.type, 'array', `${kind.kind} conditions`);
    assert.equal(observedGeneration?.type, 'integer', `${kind.kind} observedGeneration`);
    assert.ok('Ready' in kind.conditionTypes, `${kind.kind} Ready`);
    for (const type of Object.keys(kind.conditionTypes)) {
      assert.ok(conditions.description.includes(`${type} (`), `${kind.kind} conditions describe ${type}`);
    }
  }
});
