// The check the shipping tests apply to every alert and dashboard query: it
// must find the series an expression reads, and it must fail on a name or a
// label the operator does not export.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportedSeries, problemsOf, seriesIn } from '../../support/promql.js';

test('finds series, matcher labels and grouping labels, not functions, strings or durations', () => {
  const refs = seriesIn(
    'histogram_quantile(0.99, sum by (controller, le) (rate(workqueue_work_duration_seconds_bucket{job=~"$job"}[5m]))) ' +
      '> on (controller) group_left label_replace(up{job="a:b"}, "x", "$1", "y", "(.+)") or vector(1e3)',
  );
  assert.deepEqual(
    refs.series.map((s) => [s.name, s.matcherLabels]),
    [
      ['workqueue_work_duration_seconds_bucket', ['job']],
      ['up', ['job']],
    ],
  );
  assert.deepEqual(refs.groupingLabels, ['controller', 'le', 'controller']);
});

test('a misspelled name, a label a series lacks and a grouping label nobody has are problems', async () => {
  const exported = await exportedSeries();
  assert.deepEqual(
    problemsOf('sum by (controller) (rate(controller_runtime_reconcile_total[5m]))', exported),
    [],
  );
  assert.deepEqual(
    problemsOf('rate(stateful_volume_operator_failover_recovery_seconds_count[5m])', exported),
    [],
  );
  assert.deepEqual(problemsOf('rate(failover_nodes_fenced_total[5m])', exported), [
    'failover_nodes_fenced_total is not a series the operator exports',
  ]);
  assert.deepEqual(problemsOf('workqueue_depth{queue="x"}', exported), [
    'workqueue_depth has no label queue',
  ]);
  assert.match(
    problemsOf(
      'increase(label_replace(workqueue_adds_total, "a", "$1", "name", "(.+)")[5m])',
      exported,
    ).join(),
    /needs a subquery/,
  );
  assert.match(problemsOf('sum(rate(workqueue_adds_total[5m])', exported).join(), /unbalanced/);
  assert.deepEqual(problemsOf('sum by (verb) (rest_client_requests_total)', exported), [
    'no series of the expression has the label verb it groups by',
  ]);
});
