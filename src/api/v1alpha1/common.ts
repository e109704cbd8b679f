// Building blocks shared by the four kinds: Kubernetes name shapes, quantities,
// times, conditions and label selectors, each with the bounds CEL needs to
// estimate the cost of rules that read them.
import {
  array,
  integer,
  map,
  object,
  required,
  string,
  type ArraySchema,
  type IntegerSchema,
  type ObjectSchema,
  type StringSchema,
} from './schema.js';

export const group = 'storage.stateful.dev';
export const version = 'v1alpha1';
export const category = 'stateful';

/** A DNS-1123 subdomain: the shape of object names (PVCs, snapshots, custom resources). */
export const dns1123SubdomainPattern = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';

/** A label value that is not empty: the shape of zone names. */
export const labelValuePattern = '^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';

/** A qualified label key with an optional DNS prefix, e.g. topology.kubernetes.io/zone. */
export const labelKeyPattern =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';

/**
 * An unsigned resource quantity (10Gi, 500Mi, 1.5T, 2e9). Signs are left out on
 * purpose: a size is never negative, and rejecting "-1Gi" by its shape gives a
 * clearer message than a comparison would.
 */
export const quantityPattern = '^([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$';

export function objectName(description: string, opts: Partial<StringSchema> = {}): StringSchema {
  return string(description, {
    minLength: 1,
    maxLength: 253,
    pattern: dns1123SubdomainPattern,
    ...opts,
  });
}

export function zoneName(description: string): StringSchema {
  return string(description, { minLength: 1, maxLength: 63, pattern: labelValuePattern });
}

export function labelKey(description: string, opts: Partial<StringSchema> = {}): StringSchema {
  return string(description, { minLength: 1, maxLength: 316, pattern: labelKeyPattern, ...opts });
}

export function quantity(description: string, opts: Partial<StringSchema> = {}): StringSchema {
  return string(description, { maxLength: 64, pattern: quantityPattern, ...opts });
}

export function time(description: string): StringSchema {
  return string(description, { format: 'date-time' });
}

export function seconds(description: string, opts: Partial<IntegerSchema> = {}): IntegerSchema {
  return integer(description, { format: 'int64', minimum: 0, ...opts });
}

export function observedGeneration(what: string): IntegerSchema {
  return integer(`The metadata.generation of the ${what} that this status describes.`, {
    format: 'int64',
    minimum: 0,
  });
}

/** Like metav1.Condition, which is what `kubectl wait --for=condition=Ready` reads. */
const condition = object(
  'One aspect of the state of the object, in the shape of metav1.Condition.',
  {
    type: required(
      string('The kind of condition, in CamelCase, e.g. Ready.', {
        maxLength: 316,
        pattern:
          '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
      }),
    ),
    status: required(
      string('Whether the condition holds: True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
    ),
    observedGeneration: integer(
      'The metadata.generation the condition was computed from; older than the current generation means it may be out of date.',
      { format: 'int64', minimum: 0 },
    ),
    lastTransitionTime: required(
      time('When the status last changed from one of True, False or Unknown to another.'),
    ),
    reason: required(
      string('A CamelCase word saying why the condition has its status, for programs and alerts.', {
        minLength: 1,
        maxLength: 1024,
        pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
      }),
    ),
    message: string('A sentence for people saying what happened and, when something is wrong, what to do.', {
      maxLength: 32768,
    }),
  },
  { tsName: 'Condition' },
);

export function conditions(types: Readonly<Record<string, string>>): ArraySchema {
  const list = Object.entries(types)
    .map(([type, meaning]) => `${type} (${meaning})`)
    .join('; ');
  return array(`The latest observations of the object's state. Types: ${list}.`, condition, {
    listType: 'map',
    listMapKeys: ['type'],
    maxItems: 16,
  });
}

const labelSelectorRequirement = object(
  'A label key, an operator and values; the label of a selected object must satisfy it.',
  {
    key: required(labelKey('The label key the requirement applies to.')),
    operator: required(
      string(
        'How the label relates to the values: In and NotIn need values; Exists and DoesNotExist take none.',
        { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
      ),
    ),
    values: array(
      'Label values; the requirement is met by an object whose label equals any of them (In) or none of them (NotIn).',
      string('A label value.', { maxLength: 63 }),
      { maxItems: 64 },
    ),
  },
  {
    tsName: 'LabelSelectorRequirement',
    rules: [
      {
        rule: "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0) : (!has(self.values) || size(self.values) == 0)",
        message:
          'values must be non-empty for the operators In and NotIn, and empty for Exists and DoesNotExist',
        fieldPath: '.values',
      },
    ],
  },
);

/** metav1.LabelSelector: the requirements are ANDed; an empty selector selects everything. */
export function labelSelector(description: string): ObjectSchema {
  return object(
    description,
    {
      matchLabels: map(
        'Labels an object must carry, each with exactly this value.',
        string('A label value.', { maxLength: 63 }),
        { maxProperties: 64 },
      ),
      matchExpressions: array('Requirements on labels, all of which must hold.', labelSelectorRequirement, {
        maxItems: 32,
      }),
    },
    { tsName: 'LabelSelector' },
  );
}
