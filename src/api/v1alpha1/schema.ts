// A small typed language for the structural OpenAPI v3 schemas of our CRDs.
// The kinds are written once with it; scripts/generate.ts renders the CRD
// YAML, the TypeScript types and the field reference in docs/api.md from the
// same nodes, so the three can never disagree.

/** A CEL rule, rendered as one entry of x-kubernetes-validations. */
export interface Rule {
  readonly rule: string;
  /** Shown to the user verbatim; it should name the field and say what is allowed. */
  readonly message?: string;
  readonly messageExpression?: string;
  /** Path, relative to the node carrying the rule, of the field the error is reported on. */
  readonly fieldPath?: string;
  readonly reason?:
    'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
  readonly optionalOldSelf?: boolean;
}

interface Base {
  readonly description: string;
  readonly rules?: readonly Rule[];
  readonly default?: unknown;
  /** Set by required(); turned into the parent object's `required` list. */
  readonly isRequired?: boolean;
  /**
   * Name of the TypeScript type generated for this node. Objects without one
   * are named after their parent and property; enums without one are inlined.
   */
  readonly tsName?: string;
}

export interface StringSchema extends Base {
  readonly type: 'string';
  readonly format?: 'date-time' | 'duration';
  readonly enum?: readonly string[];
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
}

export interface IntegerSchema extends Base {
  readonly type: 'integer';
  readonly format: 'int32' | 'int64';
  readonly minimum?: number;
  readonly maximum?: number;
}

export interface NumberSchema extends Base {
  readonly type: 'number';
  readonly minimum?: number;
  readonly maximum?: number;
}

export interface BooleanSchema extends Base {
  readonly type: 'boolean';
}

export interface ObjectSchema extends Base {
  readonly type: 'object';
  readonly properties: Readonly<Record<string, Schema>>;
  readonly minProperties?: number;
}

/** An object with arbitrary keys and values of one schema (a Go map). */
export interface MapSchema extends Base {
  readonly type: 'map';
  readonly values: Schema;
  readonly maxProperties?: number;
}

export interface ArraySchema extends Base {
  readonly type: 'array';
  readonly items: Schema;
  readonly listType: 'atomic' | 'set' | 'map';
  readonly listMapKeys?: readonly string[];
  readonly minItems?: number;
  readonly maxItems?: number;
}

export type Schema =
  StringSchema | IntegerSchema | NumberSchema | BooleanSchema | ObjectSchema | MapSchema | ArraySchema;

type Options<T extends Schema> = Omit<T, 'type' | 'description' | 'isRequired'>;
type OptionalOptions<T extends Schema> = Partial<Options<T>>;

export function string(description: string, opts: OptionalOptions<StringSchema> = {}): StringSchema {
  return { type: 'string', description, ...opts };
}

export function integer(description: string, opts: OptionalOptions<IntegerSchema> = {}): IntegerSchema {
  return { type: 'integer', description, format: 'int32', ...opts };
}

export function number(description: string, opts: OptionalOptions<NumberSchema> = {}): NumberSchema {
  return { type: 'number', description, ...opts };
}

export function boolean(description: string, opts: OptionalOptions<BooleanSchema> = {}): BooleanSchema {
  return { type: 'boolean', description, ...opts };
}

/**
 * An object default with the defaults of its fields filled in, as the API
 * server does when it applies it. The server validates a default as written,
 * without that filling, so a CEL rule reading a defaulted field of a `{}`
 * default would otherwise fail when the CRD is created.
 */
function completeDefault(properties: Record<string, Schema>, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const [name, child] of Object.entries(properties)) {
    if (out[name] === undefined && child.default !== undefined) out[name] = child.default;
  }
  return out;
}

export function object(
  description: string,
  properties: Record<string, Schema>,
  opts: OptionalOptions<ObjectSchema> = {},
): ObjectSchema {
  const schema: ObjectSchema = { type: 'object', description, properties, ...opts };
  if (opts.default === undefined) return schema;
  return { ...schema, default: completeDefault(properties, opts.default) };
}

export function map(description: string, values: Schema, opts: OptionalOptions<MapSchema> = {}): MapSchema {
  return { type: 'map', description, values, ...opts };
}

export function array(
  description: string,
  items: Schema,
  opts: OptionalOptions<ArraySchema> = {},
): ArraySchema {
  return { type: 'array', description, items, listType: 'atomic', ...opts };
}

/**
 * A rule for an object: its optional field `field` may be neither set, changed
 * nor removed after creation. Written with has() rather than optional types
 * (`self.?f == oldSelf.?f`) because the API server cannot bound the cost of
 * comparing optionals and refuses such a rule.
 */
export function immutableField(field: string, message: string): Rule {
  return {
    rule: `has(self.${field}) == has(oldSelf.${field}) && (!has(self.${field}) || self.${field} == oldSelf.${field})`,
    message,
    fieldPath: `.${field}`,
  };
}

/** Marks a property as required in its parent object. */
export function required<T extends Schema>(schema: T): T {
  return { ...schema, isRequired: true };
}

/** The names of an object's required properties, in declaration order. */
export function requiredOf(schema: ObjectSchema): string[] {
  return Object.entries(schema.properties)
    .filter(([, s]) => s.isRequired === true)
    .map(([name]) => name);
}

/** One column of `kubectl get`. */
export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly jsonPath: string;
  readonly description: string;
  /** 0 shows in `kubectl get`; 1 only with `-o wide`. */
  readonly priority?: 0 | 1;
  readonly format?: string;
}

/** Everything the generator needs to know about one kind. */
export interface KindDefinition {
  readonly kind: string;
  readonly plural: string;
  readonly singular: string;
  readonly shortNames: readonly string[];
  /** What the kind is for; the first sentence is used as a summary. */
  readonly description: string;
  readonly spec: ObjectSchema;
  readonly status: ObjectSchema;
  /** Condition types the operator sets on status.conditions, with what True means. */
  readonly conditionTypes: Readonly<Record<string, string>>;
  readonly printerColumns: readonly PrinterColumn[];
  /** Fields usable in field selectors (`kubectl get --field-selector spec.volumeName=db`). */
  readonly selectableFields?: readonly string[];
}
