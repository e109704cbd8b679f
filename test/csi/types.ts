// The parts of the CSI messages this driver reads and writes, in the shape
// @grpc/proto-loader produces with keepCase, longs as strings, enums as strings
// and oneofs named. Only what the driver uses is spelled out.

export type Int64 = string | number;

export interface Topology {
  segments: Record<string, string>;
}

export interface TopologyRequirement {
  requisite: Topology[];
  preferred: Topology[];
}

export interface CapacityRange {
  required_bytes: Int64;
  limit_bytes: Int64;
}

export type AccessModeName =
  | 'UNKNOWN'
  | 'SINGLE_NODE_WRITER'
  | 'SINGLE_NODE_READER_ONLY'
  | 'MULTI_NODE_READER_ONLY'
  | 'MULTI_NODE_SINGLE_WRITER'
  | 'MULTI_NODE_MULTI_WRITER'
  | 'SINGLE_NODE_SINGLE_WRITER'
  | 'SINGLE_NODE_MULTI_WRITER';

export interface VolumeCapability {
  block?: Record<string, never> | null;
  mount?: { fs_type: string; mount_flags: string[]; volume_mount_group: string } | null;
  access_type?: 'block' | 'mount';
  access_mode?: { mode: AccessModeName } | null;
}

export interface VolumeContentSource {
  snapshot?: { snapshot_id: string } | null;
  volume?: { volume_id: string } | null;
  type?: 'snapshot' | 'volume';
}

export interface CreateVolumeRequest {
  name: string;
  capacity_range: CapacityRange | null;
  volume_capabilities: VolumeCapability[];
  parameters: Record<string, string>;
  volume_content_source: VolumeContentSource | null;
  accessibility_requirements: TopologyRequirement | null;
}

export interface Volume {
  capacity_bytes: Int64;
  volume_id: string;
  volume_context: Record<string, string>;
  content_source: VolumeContentSource | null;
  accessible_topology: Topology[];
}

export interface Timestamp {
  seconds: Int64;
  nanos: number;
}

export interface Snapshot {
  size_bytes: Int64;
  snapshot_id: string;
  source_volume_id: string;
  creation_time: Timestamp;
  ready_to_use: boolean;
  group_snapshot_id: string;
}

export interface ControllerPublishVolumeRequest {
  volume_id: string;
  node_id: string;
  volume_capability: VolumeCapability | null;
  readonly: boolean;
}

export interface ControllerUnpublishVolumeRequest {
  volume_id: string;
  node_id: string;
}

export interface ValidateVolumeCapabilitiesRequest {
  volume_id: string;
  volume_context: Record<string, string>;
  volume_capabilities: VolumeCapability[];
  parameters: Record<string, string>;
}

export interface ListRequest {
  max_entries: number;
  starting_token: string;
}

export interface ListSnapshotsRequest extends ListRequest {
  source_volume_id: string;
  snapshot_id: string;
}

export interface CreateSnapshotRequest {
  source_volume_id: string;
  name: string;
  parameters: Record<string, string>;
}

export interface ControllerExpandVolumeRequest {
  volume_id: string;
  capacity_range: CapacityRange | null;
}
