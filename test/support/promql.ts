// Which series a PromQL expression reads, and whether the operator exports
// them: enough of PromQL for the chart's alerts and dashboard, not a parser.
// A name the operator does not export, or a label its series do not carry,
// makes an alert that never fires, so the shipping tests check both.
import { unstartedOperator } from './unstarted-operator.js';

/** A series selector in an expression: the metric name and the labels its matchers name. */
export interface SeriesRef {
  readonly name: string;
  readonly matcherLabels: readonly string[];
}

export interface ExpressionRefs {
  readonly series: readonly SeriesRef[];
  /** Labels named in by, without, on, ignoring, group_left and group_right. */
  readonly groupingLabels: readonly string[];
}

const keywords = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

function words(list: string): string[] {
  return list
    .split(',')
    .map((w) => w.trim())
    .filter((w) => w !== '');
}

export function seriesIn(expr: string): ExpressionRefs {
  // Strings first: a label_replace argument or a matcher's value is not a name.
  const quoted: string[] = [];
  let text = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, (s) => {
    quoted.push(s);
    return '""';
  });
  const groupingLabels: string[] = [];
  text = text.replace(
    /\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g,
    (_, _kw, list: string) => {
      groupingLabels.push(...words(list));
      return ' ';
    },
  );
  text = text.replace(/\[[^\]]*\]/g, ' ');
  const series: SeriesRef[] = [];
  const selector = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(\{([^}]*)\})?(\s*\()?/g;
  for (const m of text.matchAll(selector)) {
    const [, name = '', , matchers, call] = m;
    const before = text[m.index - 1];
    // A function or aggregation is followed by "("; a number's exponent or a unit is not a name.
    if (
      call !== undefined ||
      keywords.has(name.toLowerCase()) ||
      (before !== undefined && /[0-9.]/.test(before))
    )
      continue;
    const labels = (matchers ?? '')
      .split(',')
      .map((p) => /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/.exec(p)?.[1])
      .filter((l): l is string => l !== undefined);
    series.push({ name, matcherLabels: labels });
  }
  return { series, groupingLabels };
}

/** Labels Prometheus adds to every scraped series (a ServiceMonitor's target labels). */
export const targetLabels = [
  'job',
  'instance',
  'namespace',
  'pod',
  'service',
  'endpoint',
  'container',
  'exported_namespace',
];

export interface ExportedSeries {
  /** Exported series names (histograms with _bucket, _sum and _count) and their labels. */
  readonly labels: ReadonlyMap<string, readonly string[]>;
}

/** Every series a running operator exports, process metrics included, and the labels of each. */
export async function exportedSeries(): Promise<ExportedSeries> {
  const { metrics } = unstartedOperator({ processMetrics: true });
  const labels = new Map<string, readonly string[]>();
  for (const family of await metrics.registry.getMetricsAsJSON()) {
    const declared =
      (metrics.registry.getSingleMetric(family.name) as unknown as { labelNames?: string[] }).labelNames ??
      [];
    const seen = family.values.flatMap((v) => Object.keys(v.labels));
    const all = [...new Set([...declared, ...seen])];
    const type = String(family.type);
    if (type === 'histogram') {
      labels.set(`${family.name}_bucket`, [...all, 'le']);
      labels.set(`${family.name}_sum`, all);
      labels.set(`${family.name}_count`, all);
    } else if (type === 'summary') {
      labels.set(family.name, [...all, 'quantile']);
      labels.set(`${family.name}_sum`, all);
      labels.set(`${family.name}_count`, all);
    } else {
      labels.set(family.name, all);
    }
  }
  return { labels };
}

/** Whether (), {} and [] pair up outside strings. */
function balanced(expr: string): boolean {
  const open: string[] = [];
  const pairs: Record<string, string> = { ')': '(', '}': '{', ']': '[' };
  for (const c of expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')) {
    if (c === '(' || c === '{' || c === '[') open.push(c);
    else if (c in pairs && open.pop() !== pairs[c]) return false;
  }
  return open.length === 0;
}

/**
 * What is wrong with an expression: names the operator does not export, matchers on labels its
 * series lack, and grouping labels none of the expression's series (nor the target) carry.
 * `extraLabels` are labels the expression itself makes (label_replace).
 */
export function problemsOf(
  expr: string,
  exported: ExportedSeries,
  extraLabels: readonly string[] = [],
): string[] {
  const refs = seriesIn(expr);
  const problems: string[] = [];
  const available = new Set([...targetLabels, ...extraLabels]);
  if (refs.series.length === 0) problems.push(`reads no series: ${expr}`);
  for (const s of refs.series) {
    const labels = exported.labels.get(s.name);
    if (labels === undefined) {
      problems.push(`${s.name} is not a series the operator exports`);
      continue;
    }
    for (const l of labels) available.add(l);
    for (const l of s.matcherLabels)
      if (!labels.includes(l) && !targetLabels.includes(l)) problems.push(`${s.name} has no label ${l}`);
  }
  if (!balanced(expr)) problems.push(`unbalanced brackets: ${expr}`);
  // A range is taken of a series selector; of any other expression only as a subquery ([5m:]).
  if (/\)\s*\[[^\]:]*\]/.test(expr)) problems.push(`a range of an expression needs a subquery: ${expr}`);
  for (const l of refs.groupingLabels)
    if (!available.has(l)) problems.push(`no series of the expression has the label ${l} it groups by`);
  return problems;
}
