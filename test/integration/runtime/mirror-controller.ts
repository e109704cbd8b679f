// A trivial controller built only from the runtime: every ConfigMap labelled
// as a source gets a "<name>-mirror" ConfigMap with the same data, owned by
// it. Enough to prove convergence, restarts and leader election without any
// storage in the way.
import { setTimeout as sleep } from 'node:timers/promises';
import type { OperatorConfig } from '../../../src/config.js';
import { isAlreadyExists } from '../../../src/kube/errors.js';
import { coreTypes } from '../../../src/kube/resource.js';
import type { KubeObject } from '../../../src/kube/wire.js';
import { ownerKeys } from '../../../src/runtime/controller.js';
import type { Manager } from '../../../src/runtime/manager.js';
import { done, type Result } from '../../../src/runtime/result.js';
import { sameJson } from '../../../src/runtime/status.js';

export const sourceLabel = 'runtime.test/source';

export interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

/** A ConfigMap the mirror copies. */
export function sourceConfigMap(namespace: string, name: string, value: string): ConfigMap {
  return { metadata: { name, namespace, labels: { [sourceLabel]: 'true' } }, data: { value } };
}

export function mirrorName(source: string): string {
  return `${source}-mirror`;
}

export interface MirrorOptions extends Pick<OperatorConfig, 'concurrency'> {
  /**
   * A pause between reading and writing, like a reconcile that waits on a
   * slow call: it keeps passes in flight, so a process frozen at any moment
   * is frozen between a read and a write.
   */
  writeDelayMs?: number;
}

export function registerMirror(mgr: Manager, config: MirrorOptions): void {
  const type = coreTypes.configMap;
  mgr.add({
    name: 'mirror',
    forType: type,
    filter: (_event, obj) => obj.metadata.labels?.[sourceLabel] === 'true',
    watches: [{ type, map: ownerKeys(type) }],
    concurrency: config.concurrency,
    reconcile: async ({ namespace, name }): Promise<Result> => {
      const source = mgr.cache.get<ConfigMap>(type, namespace, name);
      if (source === undefined || source.metadata.deletionTimestamp !== undefined) return done;
      const mirror = mgr.cache.get<ConfigMap>(type, namespace, mirrorName(name));
      if (mirror !== undefined && sameJson(mirror.data, source.data)) return done;
      if (config.writeDelayMs !== undefined) await sleep(config.writeDelayMs);
      const desired: ConfigMap = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: mirrorName(name),
          namespace,
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name, uid: source.metadata.uid ?? '', controller: true },
          ],
        },
        data: source.data ?? {},
      };
      if (mirror === undefined) {
        try {
          await mgr.client.create(type, desired);
        } catch (err) {
          // The cache lags behind our own create: the next event brings the mirror in.
          if (!isAlreadyExists(err)) throw err;
        }
        return done;
      }
      await mgr.client.update(type, {
        ...desired,
        metadata: { ...desired.metadata, resourceVersion: mirror.metadata.resourceVersion },
      });
      return done;
    },
  });
}
