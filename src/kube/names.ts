// Names and label values derived from other names. Deterministic, because the
// operator adopts after a restart what an earlier pass created: a name that
// came out differently the second time would be a duplicate. Short legal input
// comes back unchanged, so objects made before a name got too long keep theirs.
import { createHash } from 'node:crypto';

/** A DNS-1123 subdomain: object names (claims, snapshots, Events, custom resources). */
export const maxNameLength = 253;
/** Label values, and DNS-1123 labels (Pod, Service and Namespace names). */
export const maxLabelValueLength = 63;
const hashLength = 8;

const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelValuePattern = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function shortHash(value: string): string {
  return createHash('sha256').update(value).digest('hex').slice(0, hashLength);
}

/** Drops what a cut left at either end that a name or label value may not start or end with. */
export function trimEnds(value: string): string {
  return value.replace(/^[^A-Za-z0-9]+/, '').replace(/[^A-Za-z0-9]+$/, '');
}

/**
 * The first characters of `value`, cut so that `-<hash of all of value>` fits
 * in `max`. The hash keeps two long values that share a prefix apart, and the
 * result never ends in a separator.
 */
function cutAndHash(value: string, max: number): string {
  const hash = shortHash(value);
  const head = trimEnds(value.slice(0, max - hashLength - 1));
  return head === '' ? hash : `${head}-${hash}`;
}

/**
 * An object name of at most `max` characters (253 unless the kind needs a DNS
 * label) from a legal name that may be too long: kept whole when it fits,
 * otherwise cut and hashed. The input must be made of legal parts (see
 * nameFragment); only its length is dealt with here.
 */
export function boundedName(name: string, max: number = maxNameLength): string {
  return name.length <= max ? name : cutAndHash(name, max);
}

/**
 * A label value (at most 63 characters) naming an object whose name may be up
 * to 253. Selectors and comparisons against such a label must go through this
 * function too, or a long name never matches its own label.
 */
export function labelValue(name: string): string {
  if (name.length <= maxLabelValueLength && labelValuePattern.test(name)) return name;
  return cutAndHash(name, maxLabelValueLength);
}

/**
 * A piece of an object name made from a label value (a zone, which may hold
 * upper case, `_` and dots where a name may not). A value that already is a
 * DNS-1123 subdomain is kept, so names made from ordinary zones do not change;
 * any other is lowered, its other characters made dashes, and a hash of the
 * original appended, so `Zone_A` and `zone-a` still give different names.
 */
export function nameFragment(value: string): string {
  if (dns1123Subdomain.test(value)) return value;
  const cleaned = trimEnds(value.toLowerCase().replace(/[^a-z0-9]+/g, '-'));
  return cleaned === '' ? shortHash(value) : `${cleaned}-${shortHash(value)}`;
}
