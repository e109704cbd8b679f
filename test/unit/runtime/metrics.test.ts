// The metric names and labels the operator promises: controller-runtime's and
// client-go's for the runtime, one prefix for everything of its own (the
// runtime's and what each controller registers), and a build_info series that
// says what runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FencingRefusal } from '../../../src/controllers/failovergroup/fence-step.js';
import { Counter } from 'prom-client';
import { Metrics, metricSet, ownPrefix } from '../../../src/observability/metrics.js';
import {
  clearFencingWaiting,
  recordFencingWaiting,
} from '../../../src/controllers/failovergroup/fencing-metric.js';
import { failoverGroupMetrics } from '../../../src/controllers/failovergroup/metrics.js';
import { unstartedOperator } from '../../support/unstarted-operator.js';

/** Series names controller-runtime and client-go define, with their labels. */
const runtimeSeries: Record<string, readonly string[]> = {
  controller_runtime_reconcile_total: ['controller', 'result'],
  controller_runtime_reconcile_errors_total: ['controller'],
  controller_runtime_terminal_reconcile_errors_total: ['controller'],
  controller_runtime_reconcile_panics_total: ['controller'],
  controller_runtime_reconcile_time_seconds: ['controller'],
  controller_runtime_max_concurrent_reconciles: ['controller'],
  controller_runtime_active_workers: ['controller'],
  workqueue_depth: ['name', 'controller'],
  workqueue_adds_total: ['name', 'controller'],
  workqueue_retries_total: ['name', 'controller'],
  workqueue_queue_duration_seconds: ['name', 'controller'],
  workqueue_work_duration_seconds: ['name', 'controller'],
  workqueue_unfinished_work_seconds: ['name', 'controller'],
  workqueue_longest_running_processor_seconds: ['name', 'controller'],
  leader_election_master_status: ['name'],
  rest_client_requests_total: ['code', 'method', 'host'],
  rest_client_request_duration_seconds: ['verb', 'host'],
};

function labelsOf(metrics: Metrics, name: string): string[] {
  const m = metrics.registry.getSingleMetric(name) as unknown as { labelNames?: string[] } | undefined;
  assert.ok(m !== undefined, `${name} is registered`);
  return [...(m.labelNames ?? [])].sort();
}

test('runtime series carry controller-runtime’s names and labels', () => {
  const metrics = new Metrics({ processMetrics: false });
  for (const [name, labels] of Object.entries(runtimeSeries))
    assert.deepEqual(labelsOf(metrics, name), [...labels].sort(), name);
});

test('every other series of the operator starts with stateful_volume_operator_', () => {
  const { metrics } = unstartedOperator();
  const own = metrics.names().filter((n) => !(n in runtimeSeries));
  assert.ok(own.length >= 10);
  for (const name of own) assert.ok(name.startsWith(ownPrefix), `${name} lacks the prefix ${ownPrefix}`);
});

test('build_info is 1 with the version given, the Node.js version, and unknown revision when not told', async () => {
  const metrics = new Metrics({ processMetrics: false, version: '1.2.3' });
  const text = (await metrics.render()).body;
  assert.match(
    text,
    new RegExp(
      `^stateful_volume_operator_build_info\\{version="1\\.2\\.3",revision="unknown",nodejs="${process.version.replace(/\./g, '\\.')}"\\} 1$`,
      'm',
    ),
  );
});

test('failover recovery exists at zero per reason, so the first failover is an increase', async () => {
  const text = (await unstartedOperator().metrics.render()).body;
  for (const reason of ['NodeFailure', 'ZoneFailure', 'Failback', 'Manual'])
    assert.match(
      text,
      new RegExp(`^stateful_volume_operator_failover_recovery_seconds_count\\{reason="${reason}"\\} 0$`, 'm'),
    );
});

test('fencing_waiting counts refused nodes per reason and disappears when they clear', async () => {
  const metrics = new Metrics({ processMetrics: false });
  const fgMetrics = failoverGroupMetrics(metrics);
  const group = { namespace: 'db', name: 'pg' };
  const refusal = (
    node: string,
    reason: 'FencingDisabled' | 'AwaitingShutdownConfirmation',
  ): FencingRefusal => ({
    node,
    reason,
    message: '',
  });
  recordFencingWaiting(fgMetrics, group, [
    refusal('n1', 'AwaitingShutdownConfirmation'),
    refusal('n2', 'AwaitingShutdownConfirmation'),
  ]);
  const series = async (): Promise<string[]> =>
    (await metrics.render()).body
      .split('\n')
      .filter((l) => l.startsWith('stateful_volume_operator_failover_fencing_waiting{'));
  assert.deepEqual(await series(), [
    'stateful_volume_operator_failover_fencing_waiting{namespace="db",failovergroup="pg",reason="AwaitingShutdownConfirmation"} 2',
  ]);
  recordFencingWaiting(fgMetrics, group, [refusal('n1', 'FencingDisabled')]);
  assert.deepEqual(await series(), [
    'stateful_volume_operator_failover_fencing_waiting{namespace="db",failovergroup="pg",reason="FencingDisabled"} 1',
  ]);
  clearFencingWaiting(fgMetrics, group);
  assert.deepEqual(await series(), []);
});

test('a controller’s metric set is made once per registry, and anew for another manager’s', async () => {
  let made = 0;
  const set = metricSet((registry) => {
    made++;
    return new Counter({ name: `${ownPrefix}test_total`, help: 'A test counter.', registers: [registry] });
  });
  const first = new Metrics({ processMetrics: false });
  set(first).inc();
  set(first).inc();
  const second = new Metrics({ processMetrics: false });
  set(second).inc();
  assert.equal(made, 2);
  assert.match((await first.render()).body, /^stateful_volume_operator_test_total 2$/m);
  assert.match((await second.render()).body, /^stateful_volume_operator_test_total 1$/m);
});
