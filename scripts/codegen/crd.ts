// Renders a kind of src/api/v1alpha1 as an apiextensions.k8s.io/v1
// CustomResourceDefinition. Keys are written in a fixed order so that the
// YAML diffs of a schema change show only the change.
import { dump } from 'js-yaml';
import { category, group, version } from '../../src/api/v1alpha1/kinds.js';
import {
  requiredOf,
  type ArraySchema,
  type KindDefinition,
  type ObjectSchema,
  type Rule,
  type Schema,
} from '../../src/api/v1alpha1/schema.js';

type Json = Record<string, unknown>;

/** Copies the keys that are set, in the order given. */
function pick(from: object, keys: readonly string[]): Json {
  const source = from as Json;
  const out: Json = {};
  for (const key of keys) {
    if (source[key] !== undefined) out[key] = source[key];
  }
  return out;
}

function renderRule(rule: Rule): Json {
  return pick(rule, ['rule', 'message', 'messageExpression', 'fieldPath', 'reason', 'optionalOldSelf']);
}

function renderObject(schema: ObjectSchema): Json {
  const properties: Json = {};
  for (const [name, child] of Object.entries(schema.properties)) properties[name] = renderSchema(child);
  const out: Json = { type: 'object', properties };
  const required = requiredOf(schema);
  if (required.length > 0) out.required = required;
  return { ...out, ...pick(schema, ['minProperties', 'default']) };
}

function renderArray(schema: ArraySchema): Json {
  return {
    type: 'array',
    items: renderSchema(schema.items),
    ...pick(schema, ['minItems', 'maxItems', 'default']),
    'x-kubernetes-list-type': schema.listType,
    ...(schema.listMapKeys !== undefined ? { 'x-kubernetes-list-map-keys': schema.listMapKeys } : {}),
  };
}

function renderBody(schema: Schema): Json {
  switch (schema.type) {
    case 'string':
      return {
        type: 'string',
        ...pick(schema, ['format', 'enum', 'default', 'minLength', 'maxLength', 'pattern']),
      };
    case 'integer':
    case 'number':
      return { type: schema.type, ...pick(schema, ['format', 'default', 'minimum', 'maximum']) };
    case 'boolean':
      return { type: 'boolean', ...pick(schema, ['default']) };
    case 'object':
      return renderObject(schema);
    case 'map':
      return {
        type: 'object',
        additionalProperties: renderSchema(schema.values),
        ...pick(schema, ['maxProperties', 'default']),
      };
    case 'array':
      return renderArray(schema);
  }
}

/**
 * kubectl explain shows descriptions but not defaults, so a scalar or list
 * default is spelled out at the end of the description. Object defaults are
 * left out: their fields describe their own defaults.
 */
function describe(schema: Schema): string {
  const value = schema.default;
  if (value === undefined || schema.type === 'object' || /\bDefaults? (to|is)\b/.test(schema.description)) {
    return schema.description;
  }
  const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
  const shown = Array.isArray(value) ? `[${value.map(text).join(', ')}]` : text(value);
  return `${schema.description} Defaults to ${shown}.`;
}

export function renderSchema(schema: Schema): Json {
  const out: Json = { description: describe(schema), ...renderBody(schema) };
  if (schema.rules !== undefined && schema.rules.length > 0) {
    out['x-kubernetes-validations'] = schema.rules.map(renderRule);
  }
  return out;
}

function rootSchema(kind: KindDefinition): Json {
  return {
    description: kind.description,
    type: 'object',
    properties: {
      apiVersion: {
        description:
          'Versioned schema of this representation of an object; the server converts recognised schemas to the latest internal value.',
        type: 'string',
      },
      kind: {
        description: 'The REST resource this object represents, in CamelCase.',
        type: 'string',
      },
      metadata: { type: 'object' },
      spec: renderSchema(kind.spec),
      status: renderSchema(kind.status),
    },
    required: ['spec'],
  };
}

export function crdName(kind: KindDefinition): string {
  return `${kind.plural}.${group}`;
}

export function crdFileName(kind: KindDefinition): string {
  return `${group}_${kind.plural}.yaml`;
}

export function renderCrd(kind: KindDefinition): Json {
  const versionEntry: Json = {
    name: version,
    served: true,
    storage: true,
    subresources: { status: {} },
    additionalPrinterColumns: kind.printerColumns.map((c) =>
      pick(c, ['name', 'type', 'format', 'jsonPath', 'description', 'priority']),
    ),
    schema: { openAPIV3Schema: rootSchema(kind) },
  };
  if (kind.selectableFields !== undefined) {
    versionEntry.selectableFields = kind.selectableFields.map((jsonPath) => ({ jsonPath }));
  }
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: crdName(kind),
      labels: {
        'app.kubernetes.io/name': 'stateful-volume-operator',
        'app.kubernetes.io/part-of': 'stateful-volume-operator',
      },
    },
    spec: {
      group,
      names: {
        kind: kind.kind,
        listKind: `${kind.kind}List`,
        plural: kind.plural,
        singular: kind.singular,
        shortNames: [...kind.shortNames],
        categories: [category],
      },
      scope: 'Namespaced',
      versions: [versionEntry],
    },
  };
}

export const generatedHeader =
  '# Generated by `npx tsx scripts/generate.ts` from src/api/v1alpha1. Do not edit.\n';

export function renderCrdYaml(kind: KindDefinition): string {
  return generatedHeader + dump(renderCrd(kind), { lineWidth: 100, noRefs: true });
}
