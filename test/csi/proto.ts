// The CSI protocol as the pinned spec module defines it. The proto is read from
// the build cache (copied there from github.com/container-storage-interface/spec),
// never from a copy in this repository, so the driver and the sidecars always
// agree on one version of the specification.
import { loadPackageDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

export interface CsiServices {
  readonly identity: ServiceDefinition;
  readonly controller: ServiceDefinition;
  readonly node: ServiceDefinition;
}

interface ServiceConstructor {
  readonly service: ServiceDefinition;
}

function serviceOf(pkg: Record<string, unknown>, name: string): ServiceDefinition {
  const ctor = pkg[name] as ServiceConstructor | undefined;
  if (ctor === undefined) throw new Error(`csi.proto defines no service csi.v1.${name}`);
  return ctor.service;
}

export function loadCsi(protoPath: string): CsiServices {
  const definition = loadSync(protoPath, {
    // Field names as the specification spells them, so code and spec read alike.
    keepCase: true,
    // int64 byte counts as strings: JavaScript numbers lose precision past 2^53.
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const root = loadPackageDefinition(definition) as unknown as { csi: { v1: Record<string, unknown> } };
  const pkg = root.csi.v1;
  return {
    identity: serviceOf(pkg, 'Identity'),
    controller: serviceOf(pkg, 'Controller'),
    node: serviceOf(pkg, 'Node'),
  };
}
