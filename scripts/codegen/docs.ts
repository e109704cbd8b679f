// Renders the field tables of docs/api.md from the schema, and the tables of
// the vocabulary (scripts/codegen/vocabulary.ts) there and in README.md,
// between marker comments, so the reference can never drift from the CRDs or
// the code. The prose around the markers is written by hand.
import {
  dns1123SubdomainPattern,
  labelKeyPattern,
  labelValuePattern,
  quantityPattern,
} from '../../src/api/v1alpha1/common.js';
import type { KindDefinition, Rule, Schema } from '../../src/api/v1alpha1/schema.js';
import { cronPattern, durationPattern, timeZonePattern } from '../../src/api/v1alpha1/volumebackuppolicy.js';
import { cell } from './markdown.js';
import { conditionReasonsTable, vocabularySections } from './vocabulary.js';

const patternNames = new Map<string, string>([
  [dns1123SubdomainPattern, 'a DNS-1123 subdomain (lower-case letters, digits, `-` and `.`)'],
  [labelValuePattern, 'a label value (letters, digits, `-`, `_`, `.`)'],
  [labelKeyPattern, 'a label key such as `topology.kubernetes.io/zone`'],
  [quantityPattern, 'a quantity without sign, such as `10Gi`'],
  [cronPattern, 'a 5-field cron expression or an @ macro'],
  [timeZonePattern, 'the shape of an IANA time zone name'],
  [durationPattern, 'a duration in `h`, `m` and `s`, such as `720h`'],
]);

const code = (value: unknown): string => `\`${typeof value === 'string' ? value : JSON.stringify(value)}\``;

function typeName(schema: Schema): string {
  switch (schema.type) {
    case 'string':
      return schema.format === 'date-time' ? 'time' : 'string';
    case 'integer':
    case 'number':
    case 'boolean':
    case 'object':
      return schema.type;
    case 'map':
      return `map of ${typeName(schema.values)}`;
    case 'array':
      return `list of ${typeName(schema.items)}`;
  }
}

function ruleNote(rule: Rule): string {
  const text = rule.message ?? `\`${rule.rule}\``;
  return rule.rule.includes('oldSelf') ? `on update: ${text}` : text;
}

function range(min: number | undefined, max: number | undefined, unit: string): string[] {
  const suffix = unit === '' ? '' : ` ${unit}`;
  if (min !== undefined && max !== undefined) return [`${min} to ${max}${suffix}`];
  if (min !== undefined) return [`at least ${min}${suffix}`];
  if (max !== undefined) return [`at most ${max}${suffix}`];
  return [];
}

function boundNotes(schema: Schema): string[] {
  switch (schema.type) {
    case 'integer':
    case 'number':
      return range(schema.minimum, schema.maximum, '');
    case 'string':
      return range(schema.minLength, schema.maxLength, 'characters');
    case 'array':
      return range(schema.minItems, schema.maxItems, 'entries');
    case 'map':
      return range(undefined, schema.maxProperties, 'entries');
    default:
      return [];
  }
}

function validationNotes(schema: Schema, inherited: readonly Rule[]): string[] {
  const notes: string[] = [];
  if (schema.isRequired === true) notes.push('required');
  if (schema.type === 'string' && schema.enum !== undefined)
    notes.push(`one of ${schema.enum.map(code).join(', ')}`);
  if (schema.type === 'string' && schema.pattern !== undefined) {
    notes.push(patternNames.get(schema.pattern) ?? `matches ${code(schema.pattern)}`);
  }
  if (schema.type === 'array' && schema.listType === 'set') notes.push('entries unique');
  notes.push(...boundNotes(schema));
  const own = (schema.rules ?? []).filter((r) => r.fieldPath === undefined);
  for (const rule of [...own, ...inherited]) notes.push(ruleNote(rule));
  return notes;
}

interface Row {
  readonly path: string;
  readonly schema: Schema;
  /** Rules of the parent object that report their errors on this field. */
  readonly rules: readonly Rule[];
}

function rows(schema: Schema, path: string, rules: readonly Rule[] = []): Row[] {
  const out: Row[] = [{ path, schema, rules }];
  const inner = schema.type === 'array' ? schema.items : schema;
  const prefix = schema.type === 'array' ? `${path}[]` : path;
  if (inner.type === 'object') {
    for (const [prop, child] of Object.entries(inner.properties)) {
      const onChild = (inner.rules ?? []).filter((r) => r.fieldPath === `.${prop}`);
      out.push(...rows(child, `${prefix}.${prop}`, onChild));
    }
  }
  return out;
}

function specTable(kind: KindDefinition): string {
  const lines = [
    '| Field | Type | Default | Description | Validation |',
    '| --- | --- | --- | --- | --- |',
    ...rows(kind.spec, 'spec').map(({ path, schema, rules }) => {
      const fallback = schema.default === undefined ? '' : code(schema.default);
      const notes = validationNotes(schema, rules).join('; ');
      return `| \`${path}\` | ${typeName(schema)} | ${cell(fallback)} | ${cell(schema.description)} | ${cell(notes)} |`;
    }),
  ];
  return lines.join('\n');
}

function statusTable(kind: KindDefinition): string {
  const lines = [
    '| Field | Type | Description |',
    '| --- | --- | --- |',
    ...rows(kind.status, 'status').map(
      ({ path, schema }) => `| \`${path}\` | ${typeName(schema)} | ${cell(schema.description)} |`,
    ),
  ];
  return lines.join('\n');
}

function columnsTable(kind: KindDefinition): string {
  const lines = [
    '| Column | From | Shown |',
    '| --- | --- | --- |',
    ...kind.printerColumns.map(
      (c) =>
        `| ${c.name.toUpperCase()} | \`${cell(c.jsonPath)}\` | ${c.priority === 1 ? 'with `-o wide`' : 'always'} |`,
    ),
  ];
  return lines.join('\n');
}

function conditionsTable(kind: KindDefinition): string {
  const lines = [
    '| Type | True when |',
    '| --- | --- |',
    ...Object.entries(kind.conditionTypes).map(([type, meaning]) => `| \`${type}\` | ${cell(meaning)} |`),
  ];
  return lines.join('\n');
}

const sections: Record<string, (kind: KindDefinition) => string> = {
  spec: specTable,
  status: statusTable,
  columns: columnsTable,
  conditions: conditionsTable,
  reasons: (kind) => conditionReasonsTable(kind.kind),
};

/** The marker's table: a kind's (`<Kind>:<section>`) or one of the vocabulary's (`vocabulary:<section>`). */
function renderSection(
  page: string,
  owner: string,
  section: string,
  kinds: readonly KindDefinition[],
): string {
  if (owner === 'vocabulary') {
    const render = vocabularySections[section];
    if (render !== undefined) return render();
  }
  const kind = kinds.find((k) => k.kind === owner);
  const render = sections[section];
  if (kind === undefined || render === undefined) {
    throw new Error(`${page} has a marker for an unknown table: ${owner}:${section}`);
  }
  return render(kind);
}

const markerPattern = /(<!-- generated:(\w+):(\w+) -->\n)[\s\S]*?(<!-- end generated -->)/g;

/**
 * Replaces every `<!-- generated:<Kind>:<section> -->` (or
 * `<!-- generated:vocabulary:<section> -->`) ... `<!-- end generated -->`
 * block of the hand-written page with the current table.
 */
export function renderDocs(page: string, kinds: readonly KindDefinition[], path = 'docs/api.md'): string {
  return page.replace(
    markerPattern,
    (_all, open: string, owner: string, section: string, close: string) =>
      `${open}${renderSection(path, owner, section, kinds)}\n${close}`,
  );
}
