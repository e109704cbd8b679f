// Renders the TypeScript types of the kinds: one interface per named object,
// a union and a value list per named enum, and per kind its resource
// constants, condition types and the defaults the API server applies.
import { group, version } from '../../src/api/v1alpha1/kinds.js';
import type { KindDefinition, ObjectSchema, Schema } from '../../src/api/v1alpha1/schema.js';

const pascal = (s: string): string => `${s.charAt(0).toUpperCase()}${s.slice(1)}`;
const camel = (s: string): string => `${s.charAt(0).toLowerCase()}${s.slice(1)}`;

/** Greedy word wrap, so that the doc comments read well in an editor. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

function docComment(paragraphs: readonly string[], indent: string): string {
  const lines = paragraphs.flatMap((p) => wrap(p, 100 - indent.length - 3));
  if (lines.length === 0) return '';
  if (lines.length === 1) return `${indent}/** ${lines[0] ?? ''} */\n`;
  const body = lines.map((l) => `${indent} * ${l}`.trimEnd()).join('\n');
  return `${indent}/**\n${body}\n${indent} */\n`;
}

function defaultNote(schema: Schema): string[] {
  return schema.default === undefined ? [] : [`@default ${JSON.stringify(schema.default)}`];
}

class TypeWriter {
  /** Declarations by name, in the order they were first met; the doc comment is the first use's. */
  private readonly declarations = new Map<string, { doc: string; body: string }>();

  private declare(name: string, doc: string, body: string): void {
    const existing = this.declarations.get(name);
    if (existing !== undefined && existing.body !== body) {
      throw new Error(`two different schemas are both named ${name}; give one of them another tsName`);
    }
    if (existing === undefined) this.declarations.set(name, { doc, body });
  }

  typeOf(schema: Schema, contextName: string): string {
    switch (schema.type) {
      case 'string':
        return this.stringType(schema.enum, schema.tsName, schema.description);
      case 'integer':
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'map':
        return `Record<string, ${this.typeOf(schema.values, `${contextName}Value`)}>`;
      case 'array': {
        const item = this.typeOf(schema.items, `${contextName}Item`);
        return item.includes(' ') ? `(${item})[]` : `${item}[]`;
      }
      case 'object':
        return this.objectType(schema, schema.tsName ?? contextName);
    }
  }

  private stringType(
    values: readonly string[] | undefined,
    name: string | undefined,
    description: string,
  ): string {
    if (values === undefined) return 'string';
    const union = values.map((v) => `'${v}'`).join(' | ');
    if (name === undefined) return union;
    const list = `${camel(name)}Values`;
    this.declare(
      name,
      docComment([description], ''),
      `export type ${name} = (typeof ${list})[number];\n` +
        `export const ${list} = [${values.map((v) => `'${v}'`).join(', ')}] as const;\n`,
    );
    return name;
  }

  private objectType(schema: ObjectSchema, name: string): string {
    const fields = Object.entries(schema.properties).map(([prop, child]) => {
      const type = this.typeOf(child, `${name}${pascal(prop)}`);
      const doc = docComment([child.description, ...defaultNote(child)], '  ');
      return `${doc}  ${prop}${child.isRequired === true ? '' : '?'}: ${type};\n`;
    });
    this.declare(
      name,
      docComment([schema.description], ''),
      `export interface ${name} {\n${fields.join('')}}\n`,
    );
    return name;
  }

  render(): string {
    return [...this.declarations.values()].map((d) => d.doc + d.body).join('\n');
  }
}

/** Defaults the API server fills in, by field path, for code that reads objects it did not get from the server. */
function collectDefaults(schema: Schema, path: string, out: Map<string, unknown>): void {
  if (schema.default !== undefined) out.set(path, schema.default);
  if (schema.type === 'object') {
    for (const [prop, child] of Object.entries(schema.properties))
      collectDefaults(child, `${path}.${prop}`, out);
  }
}

function kindDeclarations(kind: KindDefinition, writer: TypeWriter): string {
  const specType = writer.typeOf(kind.spec, `${kind.kind}Spec`);
  const statusType = writer.typeOf(kind.status, `${kind.kind}Status`);
  const lower = camel(kind.kind);
  const defaults = new Map<string, unknown>();
  collectDefaults(kind.spec, 'spec', defaults);
  const defaultLines = [...defaults].map(([path, value]) => `  '${path}': ${JSON.stringify(value)},\n`);
  const conditionLines = Object.entries(kind.conditionTypes).map(
    ([type, meaning]) => `  /** True when ${meaning}. */\n  ${type}: '${type}',\n`,
  );
  return [
    docComment([kind.description], ''),
    `export interface ${kind.kind} {\n  apiVersion: typeof apiVersion;\n  kind: '${kind.kind}';\n`,
    `  metadata: ObjectMeta;\n  spec: ${specType};\n  status?: ${statusType};\n}\n\n`,
    `export interface ${kind.kind}List {\n  apiVersion: typeof apiVersion;\n  kind: '${kind.kind}List';\n`,
    `  metadata?: ListMeta;\n  items: ${kind.kind}[];\n}\n\n`,
    `export const ${lower}Resource = {\n  group,\n  version,\n  apiVersion,\n  kind: '${kind.kind}',\n`,
    `  listKind: '${kind.kind}List',\n  plural: '${kind.plural}',\n  singular: '${kind.singular}',\n`,
    `  shortNames: [${kind.shortNames.map((s) => `'${s}'`).join(', ')}],\n} as const;\n\n`,
    `/** Condition types of ${kind.kind}.status.conditions. */\n`,
    `export const ${lower}Conditions = {\n${conditionLines.join('')}} as const;\n`,
    `export type ${kind.kind}ConditionType = keyof typeof ${lower}Conditions;\n\n`,
    `/** Defaults the API server applies to ${kind.kind}, by field path. */\n`,
    `export const ${lower}Defaults = {\n${defaultLines.join('')}} as const;\n`,
  ].join('');
}

export function renderTypes(kinds: readonly KindDefinition[]): string {
  const writer = new TypeWriter();
  const perKind = kinds.map((k) => kindDeclarations(k, writer));
  return [
    '// Generated by `npx tsx scripts/generate.ts` from src/api/v1alpha1. Do not edit.\n',
    "import type { ListMeta, ObjectMeta } from '../../kube/wire.js';\n\n",
    `export const group = '${group}';\n`,
    `export const version = '${version}';\n`,
    `export const apiVersion = '${group}/${version}';\n\n`,
    perKind.join('\n'),
    '\n',
    writer.render(),
  ].join('');
}
