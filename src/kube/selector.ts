// Label selectors written the way kubectl takes them (-l): "a=b,c!=d",
// "zone in (z1,z2)", "!spot", "dedicated". Parsed once, from an operator
// flag, into the structured form the API uses, so one matcher serves both.
import type { LabelSelector, LabelSelectorRequirement } from '../api/v1alpha1/types.generated.js';

const namePart = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkKey(key: string): string {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (!namePart.test(name) || (prefix !== undefined && (prefix.length > 253 || !dnsSubdomain.test(prefix))))
    throw new Error(`"${key}" is not a label key`);
  return key;
}

function checkValue(value: string): string {
  if (value !== '' && !namePart.test(value)) throw new Error(`"${value}" is not a label value`);
  return value;
}

/** Splits at commas outside parentheses. */
function terms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim());
}

type Term = { label: [string, string] } | { expression: LabelSelectorRequirement };

function setTerm(term: string): Term | undefined {
  const m = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(term);
  if (m === null) return undefined;
  const values = (m[3] ?? '').split(',').map((v) => checkValue(v.trim()));
  return {
    expression: { key: checkKey(m[1] ?? ''), operator: m[2] === 'in' ? 'In' : 'NotIn', values },
  };
}

function parseTerm(term: string): Term {
  if (term === '') throw new Error('an empty requirement (two commas, or a trailing comma)');
  const set = setTerm(term);
  if (set !== undefined) return set;
  const m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (m !== null) {
    const key = checkKey(m[1] ?? '');
    const value = checkValue(m[3] ?? '');
    // != matches objects without the label too, as NotIn does.
    return m[2] === '!='
      ? { expression: { key, operator: 'NotIn', values: [value] } }
      : { label: [key, value] };
  }
  if (/[\s()]/.test(term.replace(/^!\s*/, '')))
    throw new Error(
      `"${term}" is none of key=value, key!=value, key in (v1,v2), key notin (v1,v2), key, !key`,
    );
  if (term.startsWith('!'))
    return { expression: { key: checkKey(term.slice(1).trim()), operator: 'DoesNotExist' } };
  return { expression: { key: checkKey(term), operator: 'Exists' } };
}

/** Parses kubectl's selector syntax; empty text selects everything. Throws with the reason. */
export function parseLabelSelector(text: string): LabelSelector {
  const selector: LabelSelector = {};
  if (text.trim() === '') return selector;
  for (const raw of terms(text)) {
    const term = parseTerm(raw);
    if ('label' in term) {
      const [key, value] = term.label;
      const existing = selector.matchLabels?.[key];
      if (existing !== undefined && existing !== value)
        throw new Error(`"${key}" must equal both "${existing}" and "${value}"`);
      selector.matchLabels = { ...selector.matchLabels, [key]: value };
    } else {
      selector.matchExpressions = [...(selector.matchExpressions ?? []), term.expression];
    }
  }
  return selector;
}
