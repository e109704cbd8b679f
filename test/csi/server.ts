// Serves the driver over gRPC on a unix socket, where the sidecars expect a
// CSI plugin. Every call is logged with its outcome and duration, so a test
// that waits on a volume can be explained from the driver's log.
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  Server,
  ServerCredentials,
  status,
  type handleUnaryCall,
  type ServiceError,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { CsiError, type Driver } from './controller.js';
import type { CsiServices } from './proto.js';

type Log = (line: string) => void;

function toServiceError(err: unknown): Partial<ServiceError> {
  if (err instanceof CsiError) return { code: err.code, details: err.message, metadata: new Metadata() };
  const message = err instanceof Error ? err.message : String(err);
  return { code: status.INTERNAL, details: message, metadata: new Metadata() };
}

// Requests carry no secrets in this driver; the IDs and names are what a
// person reading the log needs.
function summary(req: unknown): string {
  if (typeof req !== 'object' || req === null) return '';
  const r = req as Record<string, unknown>;
  const keys = ['name', 'volume_id', 'snapshot_id', 'source_volume_id', 'node_id'];
  return keys
    .filter((k) => typeof r[k] === 'string' && r[k] !== '')
    .map((k) => `${k}=${String(r[k])}`)
    .join(' ');
}

function unary(method: string, fn: (req: never) => unknown, log: Log): handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    const started = Date.now();
    const detail = summary(call.request);
    Promise.resolve()
      .then(() => fn(call.request as never))
      .then(
        (res) => {
          log(`${method} ${detail} -> OK (${Date.now() - started} ms)`);
          callback(null, res);
        },
        (err: unknown) => {
          const e = toServiceError(err);
          log(`${method} ${detail} -> ${status[e.code ?? status.UNKNOWN]}: ${e.details ?? ''}`);
          callback(e);
        },
      );
  };
}

function implementations(driver: Driver, log: Log): Record<keyof CsiServices, UntypedServiceImplementation> {
  const d = driver;
  const u = (method: string, fn: (req: never) => unknown): handleUnaryCall<unknown, unknown> =>
    unary(method, fn, log);
  return {
    identity: {
      GetPluginInfo: u('GetPluginInfo', () => d.getPluginInfo()),
      GetPluginCapabilities: u('GetPluginCapabilities', () => d.getPluginCapabilities()),
      Probe: u('Probe', () => d.probe()),
    },
    controller: {
      ControllerGetCapabilities: u('ControllerGetCapabilities', () => d.controllerGetCapabilities()),
      CreateVolume: u('CreateVolume', (r) => d.createVolume(r)),
      DeleteVolume: u('DeleteVolume', (r) => d.deleteVolume(r)),
      ControllerPublishVolume: u('ControllerPublishVolume', (r) => d.controllerPublishVolume(r)),
      ControllerUnpublishVolume: u('ControllerUnpublishVolume', (r) => d.controllerUnpublishVolume(r)),
      ValidateVolumeCapabilities: u('ValidateVolumeCapabilities', (r) => d.validateVolumeCapabilities(r)),
      ListVolumes: u('ListVolumes', (r) => d.listVolumes(r)),
      GetCapacity: u('GetCapacity', () => d.getCapacity()),
      CreateSnapshot: u('CreateSnapshot', (r) => d.createSnapshot(r)),
      DeleteSnapshot: u('DeleteSnapshot', (r) => d.deleteSnapshot(r)),
      ListSnapshots: u('ListSnapshots', (r) => d.listSnapshots(r)),
      ControllerExpandVolume: u('ControllerExpandVolume', (r) => d.controllerExpandVolume(r)),
    },
    node: {
      NodeGetInfo: u('NodeGetInfo', () => d.nodeGetInfo()),
      NodeGetCapabilities: u('NodeGetCapabilities', () => d.nodeGetCapabilities()),
    },
  };
}

/** Starts serving on the unix socket and resolves once it accepts connections. */
export async function serve(
  socket: string,
  services: CsiServices,
  driver: Driver,
  log: Log,
): Promise<Server> {
  mkdirSync(dirname(socket), { recursive: true });
  // A socket file left by a killed driver would make bind fail with EADDRINUSE.
  rmSync(socket, { force: true });
  const server = new Server();
  const impl = implementations(driver, log);
  // Methods left out here (NodeStageVolume and the rest) answer UNIMPLEMENTED.
  server.addService(services.identity, impl.identity);
  server.addService(services.controller, impl.controller);
  server.addService(services.node, impl.node);
  await new Promise<void>((resolve, reject) => {
    server.bindAsync(`unix://${socket}`, ServerCredentials.createInsecure(), (err) => {
      if (err === null) resolve();
      else reject(err);
    });
  });
  return server;
}
