// A manager with every controller of the product registered that is never
// started and cannot reach a cluster: what a process declares before it runs
// (the informers it will list and watch, the series it exports).
import { KubeConfig } from '@kubernetes/client-node';
import { parseConfig } from '../../src/config.js';
import { registerControllers } from '../../src/controllers/index.js';
import { KubeClient } from '../../src/kube/client.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics, type MetricsOptions } from '../../src/observability/metrics.js';
import { Manager } from '../../src/runtime/manager.js';

/** All namespaces and the default flags, as config/default installs it. */
export function unstartedOperator(metrics: MetricsOptions = { processMetrics: false }): Manager {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'none', server: 'https://127.0.0.1:9' }],
    users: [{ name: 'none' }],
    contexts: [{ name: 'none', cluster: 'none', user: 'none' }],
    currentContext: 'none',
  });
  const parsed = parseConfig([], {});
  if (parsed.help) throw new Error('unexpected --help');
  const mgr = new Manager({
    client: new KubeClient(kc, { userAgent: 'unstarted-operator', qps: 1, burst: 1 }),
    log: createLogger('silent'),
    metrics: new Metrics(metrics),
    component: 'unstarted-operator',
    namespaces: [],
  });
  registerControllers(mgr, parsed.config);
  return mgr;
}
