// The CSI Identity, Controller and Node services of the test bed's driver.
// It behaves like a zonal block-storage driver: a volume lives in one zone
// (topology.kubernetes.io/zone) and can be attached to one node of that zone
// at a time; snapshots are regional, so a snapshot restores into any zone; a
// clone stays in its source's zone. Errors use the status codes the CSI spec
// prescribes, because the sidecars act on them (RESOURCE_EXHAUSTED makes the
// provisioner pick another node, NOT_FOUND on delete counts as done).
import { randomUUID } from 'node:crypto';
import { statfs } from 'node:fs/promises';
import { status } from '@grpc/grpc-js';
import type { SnapshotRecord, Store, VolumeRecord } from './store.js';
import type {
  AccessModeName,
  ControllerExpandVolumeRequest,
  ControllerPublishVolumeRequest,
  ControllerUnpublishVolumeRequest,
  CreateSnapshotRequest,
  CreateVolumeRequest,
  ListRequest,
  ListSnapshotsRequest,
  Snapshot,
  Topology,
  ValidateVolumeCapabilitiesRequest,
  Volume,
  VolumeCapability,
} from './types.js';

export class CsiError extends Error {
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

export interface DriverOptions {
  readonly name: string;
  readonly version: string;
  /** The node label the driver's topology uses; CSINode objects list it as the driver's topology key. */
  readonly topologyKey: string;
  /** Node ID -> zone, for every node the driver may attach to. */
  readonly nodeZones: Readonly<Record<string, string>>;
  /** Whether the driver offers ControllerPublish/Unpublish (CSIDriver attachRequired). */
  readonly attach: boolean;
}

const GiB = 1024 ** 3;

// A zonal disk: one writer node, or many readers. Multi-writer modes are what
// shared file systems offer, and a test that asks for them should be refused as
// a block-storage driver would refuse it.
const supportedModes = new Set<AccessModeName>([
  'SINGLE_NODE_WRITER',
  'SINGLE_NODE_READER_ONLY',
  'SINGLE_NODE_SINGLE_WRITER',
  'SINGLE_NODE_MULTI_WRITER',
  'MULTI_NODE_READER_ONLY',
]);

function bytes(value: string | number | undefined): number {
  return value === undefined || value === '' ? 0 : Number(value);
}

function unsupported(cap: VolumeCapability): string | undefined {
  if (cap.block !== undefined && cap.block !== null) return 'block volumes are not supported';
  const mode = cap.access_mode?.mode ?? 'UNKNOWN';
  if (!supportedModes.has(mode)) return `access mode ${mode} is not supported`;
  return undefined;
}

/** The checks of CreateVolume that need no state; returns the requested size range. */
function validateCreate(req: CreateVolumeRequest): { required: number; limit: number } {
  if (req.name === '') throw new CsiError(status.INVALID_ARGUMENT, 'name is required');
  if (req.volume_capabilities.length === 0)
    throw new CsiError(status.INVALID_ARGUMENT, 'volume_capabilities are required');
  const problem = req.volume_capabilities.map(unsupported).find((p) => p !== undefined);
  if (problem !== undefined) throw new CsiError(status.INVALID_ARGUMENT, problem);
  const required = bytes(req.capacity_range?.required_bytes) || GiB;
  const limit = bytes(req.capacity_range?.limit_bytes);
  if (limit > 0 && limit < required)
    throw new CsiError(status.OUT_OF_RANGE, `limit_bytes ${limit} is below required_bytes ${required}`);
  return { required, limit };
}

function timestamp(iso: string): { seconds: string; nanos: number } {
  const ms = Date.parse(iso);
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

/** Pagination over a sorted list: the token is the offset of the next entry. */
function page<T>(items: T[], req: ListRequest): { entries: T[]; next_token: string } {
  const start = req.starting_token === '' ? 0 : Number(req.starting_token);
  if (!Number.isInteger(start) || start < 0 || start > items.length)
    throw new CsiError(status.ABORTED, `invalid starting_token ${req.starting_token}`);
  const end = req.max_entries > 0 ? start + req.max_entries : items.length;
  return { entries: items.slice(start, end), next_token: end < items.length ? String(end) : '' };
}

export class Driver {
  // Two requests for the same name (a sidecar retrying after a timeout) must
  // not create two volumes; the second waits for the first and sees its result.
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: Store,
    private readonly opts: DriverOptions,
  ) {}

  // ---- Identity ------------------------------------------------------------

  getPluginInfo(): { name: string; vendor_version: string; manifest: Record<string, string> } {
    return { name: this.opts.name, vendor_version: this.opts.version, manifest: {} };
  }

  getPluginCapabilities(): { capabilities: unknown[] } {
    return {
      capabilities: [
        { service: { type: 'CONTROLLER_SERVICE' } },
        { service: { type: 'VOLUME_ACCESSIBILITY_CONSTRAINTS' } },
        { volume_expansion: { type: 'ONLINE' } },
      ],
    };
  }

  probe(): { ready: { value: boolean } } {
    return { ready: { value: true } };
  }

  // ---- Controller: capabilities --------------------------------------------

  controllerGetCapabilities(): { capabilities: unknown[] } {
    const rpcs = [
      'CREATE_DELETE_VOLUME',
      'CREATE_DELETE_SNAPSHOT',
      'LIST_SNAPSHOTS',
      'CLONE_VOLUME',
      'EXPAND_VOLUME',
      'GET_CAPACITY',
      'LIST_VOLUMES',
      ...(this.opts.attach ? ['PUBLISH_UNPUBLISH_VOLUME', 'LIST_VOLUMES_PUBLISHED_NODES'] : []),
    ];
    return { capabilities: rpcs.map((type) => ({ rpc: { type } })) };
  }

  validateVolumeCapabilities(req: ValidateVolumeCapabilitiesRequest): unknown {
    if (req.volume_id === '') throw new CsiError(status.INVALID_ARGUMENT, 'volume_id is required');
    if (req.volume_capabilities.length === 0)
      throw new CsiError(status.INVALID_ARGUMENT, 'volume_capabilities are required');
    if (this.store.volume(req.volume_id) === undefined)
      throw new CsiError(status.NOT_FOUND, `volume ${req.volume_id} does not exist`);
    const problem = req.volume_capabilities.map(unsupported).find((p) => p !== undefined);
    if (problem !== undefined) return { confirmed: null, message: problem };
    return {
      confirmed: {
        volume_context: req.volume_context,
        volume_capabilities: req.volume_capabilities,
        parameters: req.parameters,
      },
      message: '',
    };
  }

  async getCapacity(): Promise<{ available_capacity: string }> {
    const fs = await statfs(this.store.root);
    return { available_capacity: String(fs.bavail * fs.bsize) };
  }

  // ---- Controller: volumes -------------------------------------------------

  createVolume(req: CreateVolumeRequest): Promise<{ volume: Volume }> {
    return this.once(`volume/${req.name}`, () => this.createVolumeOnce(req));
  }

  private async createVolumeOnce(req: CreateVolumeRequest): Promise<{ volume: Volume }> {
    const { required, limit } = validateCreate(req);
    const source = this.contentSource(req);

    const existing = this.store.volumeByName(req.name);
    if (existing !== undefined) {
      const sameSource = existing.source?.id === source?.id;
      const fits = existing.capacityBytes >= required && (limit === 0 || existing.capacityBytes <= limit);
      if (!sameSource || !fits)
        throw new CsiError(status.ALREADY_EXISTS, `volume ${req.name} exists with other properties`);
      return { volume: this.toVolume(existing) };
    }

    const zone = this.chooseZone(req, source);
    const rec: VolumeRecord = {
      id: randomUUID(),
      name: req.name,
      capacityBytes: required,
      zone,
      accessMode: req.volume_capabilities[0]?.access_mode?.mode ?? 'SINGLE_NODE_WRITER',
      ...(source !== undefined ? { source: { kind: source.kind, id: source.id } } : {}),
      parameters: req.parameters,
      createdAt: new Date().toISOString(),
      published: {},
    };
    if (source !== undefined && source.sizeBytes > required)
      throw new CsiError(
        status.OUT_OF_RANGE,
        `requested ${required} bytes, but the source ${source.kind} ${source.id} holds ${source.sizeBytes}`,
      );
    await this.store.addVolume(rec, source?.dir);
    return { volume: this.toVolume(rec) };
  }

  private contentSource(
    req: CreateVolumeRequest,
  ): { kind: 'snapshot' | 'volume'; id: string; dir: string; sizeBytes: number; zone?: string } | undefined {
    const src = req.volume_content_source;
    const snapshotId = src?.snapshot?.snapshot_id;
    if (snapshotId !== undefined && snapshotId !== '') {
      const snap = this.store.snapshot(snapshotId);
      if (snap === undefined) throw new CsiError(status.NOT_FOUND, `snapshot ${snapshotId} does not exist`);
      return {
        kind: 'snapshot',
        id: snap.id,
        dir: this.store.snapshotDir(snap.id),
        sizeBytes: snap.sizeBytes,
      };
    }
    const volumeId = src?.volume?.volume_id;
    if (volumeId !== undefined && volumeId !== '') {
      const vol = this.store.volume(volumeId);
      if (vol === undefined) throw new CsiError(status.NOT_FOUND, `volume ${volumeId} does not exist`);
      const dir = this.store.volumeDir(vol.id);
      return { kind: 'volume', id: vol.id, dir, sizeBytes: vol.capacityBytes, zone: vol.zone };
    }
    return undefined;
  }

  /**
   * The zone a new volume lives in: the first preferred topology (the selected
   * node's zone under WaitForFirstConsumer), else the first requisite one. A
   * clone must stay in its source's zone, as disk clones do; when the
   * requisite topology excludes that zone the provisioner is told
   * RESOURCE_EXHAUSTED, which makes it ask the scheduler for another node.
   */
  private chooseZone(req: CreateVolumeRequest, source: { zone?: string } | undefined): string {
    const key = this.opts.topologyKey;
    const zoneOf = (t: Topology): string | undefined => t.segments[key];
    const requisite = (req.accessibility_requirements?.requisite ?? []).map(zoneOf);
    const preferred = (req.accessibility_requirements?.preferred ?? []).map(zoneOf);
    const candidates = [...preferred, ...requisite].filter((z): z is string => z !== undefined);
    if (source?.zone !== undefined) {
      if (requisite.length === 0 || requisite.includes(source.zone)) return source.zone;
      throw new CsiError(
        status.RESOURCE_EXHAUSTED,
        `a clone must stay in its source's zone ${source.zone}, which the requisite topology excludes`,
      );
    }
    const zone = candidates[0] ?? Object.values(this.opts.nodeZones).sort()[0];
    if (zone === undefined)
      throw new CsiError(status.INVALID_ARGUMENT, `no ${key} in the topology requirement`);
    return zone;
  }

  private toVolume(rec: VolumeRecord): Volume {
    const src = rec.source;
    return {
      capacity_bytes: String(rec.capacityBytes),
      volume_id: rec.id,
      volume_context: {},
      content_source:
        src === undefined
          ? null
          : src.kind === 'snapshot'
            ? { snapshot: { snapshot_id: src.id } }
            : { volume: { volume_id: src.id } },
      accessible_topology: [{ segments: { [this.opts.topologyKey]: rec.zone } }],
    };
  }

  async deleteVolume(req: { volume_id: string }): Promise<Record<string, never>> {
    if (req.volume_id === '') throw new CsiError(status.INVALID_ARGUMENT, 'volume_id is required');
    const vol = this.store.volume(req.volume_id);
    if (vol === undefined) return {};
    const nodes = Object.keys(vol.published);
    if (nodes.length > 0)
      throw new CsiError(
        status.FAILED_PRECONDITION,
        `volume ${vol.id} is still attached to ${nodes.join(', ')}`,
      );
    await this.store.removeVolume(vol.id);
    return {};
  }

  async controllerExpandVolume(
    req: ControllerExpandVolumeRequest,
  ): Promise<{ capacity_bytes: string; node_expansion_required: boolean }> {
    if (req.volume_id === '') throw new CsiError(status.INVALID_ARGUMENT, 'volume_id is required');
    const required = bytes(req.capacity_range?.required_bytes);
    if (required === 0) throw new CsiError(status.INVALID_ARGUMENT, 'capacity_range is required');
    const vol = this.store.volume(req.volume_id);
    if (vol === undefined) throw new CsiError(status.NOT_FOUND, `volume ${req.volume_id} does not exist`);
    const limit = bytes(req.capacity_range?.limit_bytes);
    if (limit > 0 && required > limit)
      throw new CsiError(status.OUT_OF_RANGE, `required_bytes ${required} exceeds limit_bytes ${limit}`);
    // Never shrink: a smaller request is answered with the current size, as the spec allows.
    if (required > vol.capacityBytes) {
      vol.capacityBytes = required;
      await this.store.updateVolume(vol);
    }
    // No node-side step: there is no kubelet to grow a file system, and the
    // directory needs none; see docs/testing.md for what differs.
    return { capacity_bytes: String(vol.capacityBytes), node_expansion_required: false };
  }

  listVolumes(req: ListRequest): unknown {
    const { entries, next_token } = page(this.store.volumes(), req);
    return {
      entries: entries.map((v) => ({
        volume: this.toVolume(v),
        status: { published_node_ids: Object.keys(v.published) },
      })),
      next_token,
    };
  }

  // ---- Controller: attachment ----------------------------------------------

  async controllerPublishVolume(
    req: ControllerPublishVolumeRequest,
  ): Promise<{ publish_context: Record<string, string> }> {
    if (!this.opts.attach) throw new CsiError(status.UNIMPLEMENTED, 'attachment is not enabled');
    if (req.volume_id === '' || req.node_id === '')
      throw new CsiError(status.INVALID_ARGUMENT, 'volume_id and node_id are required');
    if (req.volume_capability === null)
      throw new CsiError(status.INVALID_ARGUMENT, 'volume_capability is required');
    const vol = this.store.volume(req.volume_id);
    if (vol === undefined) throw new CsiError(status.NOT_FOUND, `volume ${req.volume_id} does not exist`);
    const nodeZone = this.opts.nodeZones[req.node_id];
    if (nodeZone === undefined) throw new CsiError(status.NOT_FOUND, `node ${req.node_id} is unknown`);
    if (nodeZone !== vol.zone)
      throw new CsiError(
        status.FAILED_PRECONDITION,
        `volume ${vol.id} is in ${vol.zone} and cannot attach to ${req.node_id} in ${nodeZone}`,
      );
    const already = vol.published[req.node_id];
    if (already !== undefined) {
      if (already.readonly !== req.readonly)
        throw new CsiError(status.ALREADY_EXISTS, `volume ${vol.id} is attached to ${req.node_id} otherwise`);
      return { publish_context: {} };
    }
    const others = Object.keys(vol.published);
    if (others.length > 0 && vol.accessMode !== 'MULTI_NODE_READER_ONLY')
      throw new CsiError(status.FAILED_PRECONDITION, `volume ${vol.id} is attached to ${others.join(', ')}`);
    vol.published[req.node_id] = { readonly: req.readonly };
    await this.store.updateVolume(vol);
    return { publish_context: {} };
  }

  async controllerUnpublishVolume(req: ControllerUnpublishVolumeRequest): Promise<Record<string, never>> {
    if (req.volume_id === '') throw new CsiError(status.INVALID_ARGUMENT, 'volume_id is required');
    const vol = this.store.volume(req.volume_id);
    // A volume that is gone is detached from everywhere: the spec counts that as success.
    if (vol === undefined) return {};
    if (req.node_id === '') vol.published = {};
    else Reflect.deleteProperty(vol.published, req.node_id);
    await this.store.updateVolume(vol);
    return {};
  }

  // ---- Controller: snapshots -----------------------------------------------

  createSnapshot(req: CreateSnapshotRequest): Promise<{ snapshot: Snapshot }> {
    return this.once(`snapshot/${req.name}`, () => this.createSnapshotOnce(req));
  }

  private async createSnapshotOnce(req: CreateSnapshotRequest): Promise<{ snapshot: Snapshot }> {
    if (req.name === '' || req.source_volume_id === '')
      throw new CsiError(status.INVALID_ARGUMENT, 'name and source_volume_id are required');
    const existing = this.store.snapshotByName(req.name);
    if (existing !== undefined) {
      if (existing.sourceVolumeId !== req.source_volume_id)
        throw new CsiError(status.ALREADY_EXISTS, `snapshot ${req.name} exists for another volume`);
      return { snapshot: toSnapshot(existing) };
    }
    const vol = this.store.volume(req.source_volume_id);
    if (vol === undefined)
      throw new CsiError(status.NOT_FOUND, `volume ${req.source_volume_id} does not exist`);
    const rec: SnapshotRecord = {
      id: randomUUID(),
      name: req.name,
      sourceVolumeId: vol.id,
      // A restore needs at least the source's provisioned size, whatever it holds.
      sizeBytes: vol.capacityBytes,
      createdAt: new Date().toISOString(),
    };
    await this.store.addSnapshot(rec);
    return { snapshot: toSnapshot(rec) };
  }

  async deleteSnapshot(req: { snapshot_id: string }): Promise<Record<string, never>> {
    if (req.snapshot_id === '') throw new CsiError(status.INVALID_ARGUMENT, 'snapshot_id is required');
    if (this.store.snapshot(req.snapshot_id) !== undefined) await this.store.removeSnapshot(req.snapshot_id);
    return {};
  }

  listSnapshots(req: ListSnapshotsRequest): unknown {
    let items = this.store.snapshots();
    if (req.snapshot_id !== '') items = items.filter((s) => s.id === req.snapshot_id);
    if (req.source_volume_id !== '') items = items.filter((s) => s.sourceVolumeId === req.source_volume_id);
    const { entries, next_token } = page(items, req);
    return { entries: entries.map((s) => ({ snapshot: toSnapshot(s) })), next_token };
  }

  // ---- Node ----------------------------------------------------------------

  // No node plugin runs (there is no kubelet); these answer the sidecars'
  // start-up questions truthfully: no node capabilities, no topology.
  nodeGetInfo(): { node_id: string; max_volumes_per_node: string; accessible_topology: null } {
    return { node_id: 'controller', max_volumes_per_node: '0', accessible_topology: null };
  }

  nodeGetCapabilities(): { capabilities: unknown[] } {
    return { capabilities: [] };
  }

  private once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(key) as Promise<T> | undefined;
    if (running !== undefined) return running.catch(() => this.once(key, fn));
    const started = fn().finally(() => this.inflight.delete(key));
    this.inflight.set(key, started);
    return started;
  }
}

function toSnapshot(rec: SnapshotRecord): Snapshot {
  return {
    size_bytes: String(rec.sizeBytes),
    snapshot_id: rec.id,
    source_volume_id: rec.sourceVolumeId,
    creation_time: timestamp(rec.createdAt),
    ready_to_use: true,
    group_snapshot_id: '',
  };
}
