// Kubernetes resource quantities ("10Gi", "1.5G", "500M", "2e9") compared
// exactly. Sizes decide whether a claim is expanded, so floating point is not
// good enough: values are kept as bigint bytes, rounded up like the API server.

const binarySuffixes: Record<string, bigint> = {
  Ki: 1024n,
  Mi: 1024n ** 2n,
  Gi: 1024n ** 3n,
  Ti: 1024n ** 4n,
  Pi: 1024n ** 5n,
  Ei: 1024n ** 6n,
};

const decimalExponents: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

const quantityPattern = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])|[eE]([+-]?\d+))?$/;

export class QuantityError extends Error {
  constructor(readonly input: string) {
    super(`"${input}" is not a valid quantity (examples: 10Gi, 500Mi, 1.5G)`);
    this.name = 'QuantityError';
  }
}

function scale(suffix: string | undefined, exponent: string | undefined): { mul: bigint; div: bigint } {
  const binary = suffix !== undefined ? binarySuffixes[suffix] : undefined;
  if (binary !== undefined) return { mul: binary, div: 1n };
  const exp = exponent !== undefined ? Number(exponent) : (decimalExponents[suffix ?? ''] ?? 0);
  return exp >= 0 ? { mul: 10n ** BigInt(exp), div: 1n } : { mul: 1n, div: 10n ** BigInt(-exp) };
}

/** Parses a quantity into a whole number of units (bytes for storage), rounding fractions up. */
export function parseQuantity(input: string): bigint {
  const match = quantityPattern.exec(input.trim());
  if (match === null) throw new QuantityError(input);
  const [, sign, number = '', suffix, exponent] = match;
  const [whole, fraction = ''] = number.split('.');
  // The value is digits / 10^(fraction length), scaled by the suffix.
  const digits = BigInt(`${whole ?? ''}${fraction}` || '0');
  const { mul, div } = scale(suffix, exponent);
  const numerator = digits * mul;
  const denominator = 10n ** BigInt(fraction.length) * div;
  const rounded = (numerator + denominator - 1n) / denominator;
  return sign === '-' ? -rounded : rounded;
}

export function isQuantity(input: string): boolean {
  return quantityPattern.test(input.trim());
}

/** -1, 0 or 1 like a comparator; throws QuantityError on malformed input. */
export function compareQuantities(a: string, b: string): number {
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Human form for messages and status: the largest binary unit that divides exactly, else bytes. */
export function formatBytes(bytes: bigint): string {
  for (const unit of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const) {
    const size = binarySuffixes[unit] ?? 1n;
    if (bytes !== 0n && bytes % size === 0n) return `${(bytes / size).toString()}${unit}`;
  }
  return bytes.toString();
}
