// The chart's optional alerts and Grafana dashboard, and their kustomize twins
// in config/prometheus: off by default, values reach them, and every series an
// alert or a panel reads is one the operator exports with the labels it uses
// (an alert on a series that does not exist never fires).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { exportedSeries, problemsOf } from '../../support/promql.js';
import { chartDir, helm, lintChart, manifests, ok, only, repoRoot, type Manifest } from './tools.js';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface Panel {
  title?: string;
  type?: string;
  targets?: { expr?: string }[];
}

const alertNames = [
  'StatefulVolumeBackupTooOld',
  'StatefulVolumeOperatorReconcileErrors',
  'StatefulVolumeOperatorNoLeader',
  'StatefulVolumeFailoverHappened',
  'StatefulVolumeFencingWaiting',
];

async function render(...args: string[]): Promise<Manifest[]> {
  const out = ok(
    await helm(['template', 'svo', chartDir, '--namespace', 'svo-system', ...args]),
    'helm template',
  );
  return manifests(out);
}

function rulesOf(doc: Manifest): Rule[] {
  const spec = doc.spec as { groups: { name: string; rules: Rule[] }[] };
  return spec.groups.flatMap((g) => g.rules);
}

function ruleOf(rules: readonly Rule[], alert: string): Rule {
  const found = rules.find((r) => r.alert === alert);
  if (found === undefined) throw new Error(`no alert ${alert}`);
  return found;
}

async function dashboardFile(): Promise<string> {
  return readFile(join(chartDir, 'files', 'grafana-dashboard.json'), 'utf8');
}

function queries(dashboard: string): { title: string; expr: string }[] {
  const panels = (JSON.parse(dashboard) as { panels: Panel[] }).panels;
  return panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title ?? '', expr: t.expr ?? '' })));
}

test('by default neither a PrometheusRule nor a dashboard ConfigMap is rendered', async () => {
  const docs = await render();
  assert.deepEqual(only(docs, 'PrometheusRule'), []);
  assert.deepEqual(
    only(docs, 'ConfigMap').filter((d) => d.metadata.name.endsWith('-dashboard')),
    [],
  );
});

test('prometheusRule.enabled: the five alerts, on the job of the chart’s ServiceMonitor, with the labels given', async () => {
  const docs = await render('--set', 'prometheusRule.enabled=true,prometheusRule.labels.release=kube-prom');
  const [rule] = only(docs, 'PrometheusRule', 'svo-system');
  assert.ok(rule !== undefined);
  assert.equal(rule.metadata.labels?.release, 'kube-prom');
  const rules = rulesOf(rule);
  assert.deepEqual(
    rules.map((r) => r.alert),
    alertNames,
  );
  for (const r of rules) {
    assert.match(r.expr, /\{job="svo-stateful-volume-operator-metrics"\}/, r.alert);
    assert.ok(r.labels?.severity !== undefined && r.annotations?.description !== undefined, r.alert);
    // Prometheus, not Helm, fills in $labels: the chart must pass the braces through.
    if (r.annotations.description.includes('$labels'))
      assert.match(r.annotations.description, /\{\{ \$labels\.[a-z]+ \}\}/, r.alert);
  }
  assert.equal(ruleOf(rules, 'StatefulVolumeFencingWaiting').for, '5m');
  assert.match(ruleOf(rules, 'StatefulVolumeOperatorReconcileErrors').expr, /> 0\.1$/);
});

test('per-alert values: disable one, change for, severity, threshold and labels; a selector of one’s own', async () => {
  const docs = await render(
    '--set',
    'prometheusRule.enabled=true,prometheusRule.seriesSelector=job="svo"\\,namespace="ops"',
    '--set',
    'prometheusRule.alerts.StatefulVolumeFailoverHappened.enabled=false',
    '--set',
    'prometheusRule.alerts.StatefulVolumeBackupTooOld.for=1h,prometheusRule.alerts.StatefulVolumeBackupTooOld.severity=critical',
    '--set',
    'prometheusRule.alerts.StatefulVolumeBackupTooOld.labels.team=storage',
    '--set',
    'prometheusRule.alerts.StatefulVolumeOperatorReconcileErrors.threshold=0.5',
  );
  const rules = rulesOf(only(docs, 'PrometheusRule')[0]!);
  assert.ok(!rules.some((r) => r.alert === 'StatefulVolumeFailoverHappened'));
  const tooOld = ruleOf(rules, 'StatefulVolumeBackupTooOld');
  assert.equal(tooOld.for, '1h');
  assert.deepEqual(tooOld.labels, { severity: 'critical', team: 'storage' });
  assert.match(ruleOf(rules, 'StatefulVolumeOperatorReconcileErrors').expr, /> 0\.5$/);
  for (const r of rules) assert.match(r.expr, /\{job="svo",namespace="ops"\}/, r.alert);
});

test('without leader election there is no leader gauge, so no alert on it', async () => {
  const docs = await render(
    '--set',
    'prometheusRule.enabled=true,replicaCount=1,leaderElection.enabled=false',
  );
  const rules = rulesOf(only(docs, 'PrometheusRule')[0]!);
  assert.deepEqual(
    rules.map((r) => r.alert),
    alertNames.filter((a) => a !== 'StatefulVolumeOperatorNoLeader'),
  );
});

test('every alert reads only series the operator exports, with labels they carry', async () => {
  const exported = await exportedSeries();
  const rules = rulesOf(only(await render('--set', 'prometheusRule.enabled=true'), 'PrometheusRule')[0]!);
  const problems = rules.flatMap((r) =>
    // FailoverHappened names its fenced-node branch's reason itself (label_replace).
    problemsOf(r.expr, exported, ['reason']).map((p) => `${r.alert}: ${p}`),
  );
  assert.deepEqual(problems, []);
});

test('grafanaDashboard.enabled: a ConfigMap the Grafana sidecar picks up, holding the dashboard file', async () => {
  const docs = await render(
    '--set',
    'grafanaDashboard.enabled=true,grafanaDashboard.namespace=monitoring',
    '--set',
    'grafanaDashboard.annotations.grafana_folder=Storage',
  );
  const [cm] = only(docs, 'ConfigMap', 'monitoring');
  assert.ok(cm !== undefined);
  assert.equal(cm.metadata.name, 'svo-stateful-volume-operator-dashboard');
  assert.equal(cm.metadata.labels?.grafana_dashboard, '1');
  assert.deepEqual((cm.metadata as { annotations?: unknown }).annotations, { grafana_folder: 'Storage' });
  const data = cm.data as Record<string, string>;
  assert.deepEqual(
    JSON.parse(data['stateful-volume-operator.json'] ?? ''),
    JSON.parse(await dashboardFile()),
  );
});

test('every dashboard query reads only series the operator exports, with labels they carry', async () => {
  const exported = await exportedSeries();
  const all = queries(await dashboardFile());
  assert.ok(all.length >= 20, `only ${String(all.length)} queries`);
  const problems = all.flatMap((q) => problemsOf(q.expr, exported).map((p) => `${q.title}: ${p}`));
  assert.deepEqual(problems, []);
  for (const q of all) assert.match(q.expr, /job=~"\$job"/, `${q.title} picks the operator's job`);
});

test('config/prometheus: the same alerts as the chart for config/default’s names, and the same dashboard', async () => {
  const chart = only(
    await render('--set', 'prometheusRule.enabled=true,fullnameOverride=stateful-volume-operator'),
    'PrometheusRule',
  )[0]!;
  const kustomize = load(
    await readFile(join(repoRoot, 'config', 'prometheus', 'rules', 'prometheus_rule.yaml'), 'utf8'),
  ) as Manifest;
  assert.deepEqual(kustomize.spec, chart.spec);
  const service = load(
    await readFile(join(repoRoot, 'config', 'manager', 'service.yaml'), 'utf8'),
  ) as Manifest;
  assert.match(rulesOf(kustomize)[0]?.expr ?? '', new RegExp(`job="${service.metadata.name}"`));
  assert.equal(
    await readFile(
      join(repoRoot, 'config', 'prometheus', 'dashboard', 'stateful-volume-operator.json'),
      'utf8',
    ),
    await dashboardFile(),
    'config/prometheus/dashboard holds a copy of the chart’s files/grafana-dashboard.json',
  );
});

test('the values schema refuses an unknown alert and a malformed duration', async () => {
  const unknown = await helm([
    'template',
    'svo',
    chartDir,
    '--set',
    'prometheusRule.alerts.Typo.enabled=true',
  ]);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /Typo/);
  const badFor = await helm([
    'template',
    'svo',
    chartDir,
    '--set',
    'prometheusRule.alerts.StatefulVolumeFencingWaiting.for=5 minutes',
  ]);
  assert.notEqual(badFor.code, 0);
  assert.match(badFor.stderr, /for/);
});

test('helm lint --strict passes with alerts and dashboard on', async () => {
  await lintChart('prometheusRule.enabled=true,grafanaDashboard.enabled=true');
});
