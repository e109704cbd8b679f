// Sources for the mirror controller and a count of its mirrors, as the
// restart and leader-election tests make and read them in bulk.
import { coreTypes } from '../../../src/kube/resource.js';
import { testClient } from '../../support/operator.js';
import { sourceConfigMap, type ConfigMap } from './mirror-controller.js';

/** Sources <prefix>-0 to <prefix>-(n-1), one after another, each holding its index. */
export async function createSources(ns: string, prefix: string, n: number): Promise<void> {
  const client = testClient();
  for (let i = 0; i < n; i++) {
    await client.create<ConfigMap>(
      coreTypes.configMap,
      sourceConfigMap(ns, `${prefix}-${String(i)}`, String(i)),
    );
  }
  client.close();
}

export async function mirrorCount(ns: string): Promise<number> {
  const client = testClient();
  const list = await client.list<ConfigMap>(coreTypes.configMap, ns);
  client.close();
  return list.items.filter((cm) => cm.metadata.name?.endsWith('-mirror')).length;
}
