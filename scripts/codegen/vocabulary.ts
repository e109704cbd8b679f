// Renders the operator's vocabulary (src/api/v1alpha1/vocabulary.ts and
// reasons.ts) as Markdown tables: README.md's Events table, and the reason,
// label, annotation and finalizer tables of docs/api.md.
import { reasonsByKind, type Reason } from '../../src/api/v1alpha1/reasons.js';
import { annotationTerms, finalizerTerms, labelTerms, type Term } from '../../src/api/v1alpha1/vocabulary.js';
import { table } from './markdown.js';

function reasonsOfKind(kind: string): Readonly<Record<string, Reason>> {
  const found = (reasonsByKind as Readonly<Record<string, Readonly<Record<string, Reason>>>>)[kind];
  if (found === undefined) throw new Error(`src/api/v1alpha1/reasons.ts has no reasons for ${kind}`);
  return found;
}

/** Every Event the operator records, by kind, in the order the kinds are documented. */
export function eventsTable(): string {
  const rows = Object.entries(reasonsByKind).flatMap(([kind, reasons]) =>
    Object.entries(reasons as Readonly<Record<string, Reason>>).flatMap(([name, r]) =>
      r.event === undefined ? [] : [[kind, r.event, `\`${name}\``, r.description]],
    ),
  );
  return table(['kind', 'type', 'reason', 'when'], rows);
}

/** The reasons a kind's conditions carry, with the condition types and whether an Event tells them too. */
export function conditionReasonsTable(kind: string): string {
  const rows = Object.entries(reasonsOfKind(kind)).flatMap(([name, r]) =>
    r.conditions === undefined
      ? []
      : [[`\`${name}\``, r.conditions.map((c) => `\`${c}\``).join(', '), r.event ?? '', r.description]],
  );
  return table(['Reason', 'Condition', 'Event', 'When'], rows);
}

function termsTable(terms: Readonly<Record<string, Term>>): string {
  return table(
    ['Name', 'On', 'Meaning'],
    Object.values(terms).map((t) => [`\`${t.name}\``, t.on, t.description]),
  );
}

/** Tables that belong to no one kind, by the section name of their marker. */
export const vocabularySections: Readonly<Record<string, () => string>> = {
  events: eventsTable,
  labels: () => termsTable(labelTerms),
  annotations: () => termsTable(annotationTerms),
  finalizers: () => termsTable(finalizerTerms),
};
