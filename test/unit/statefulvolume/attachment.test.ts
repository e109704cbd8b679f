import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PodView } from '../../../src/runtime/projections.js';
import {
  currentConsumer,
  observeAttachment,
  type AttachmentInput,
  type AttachmentStatus,
} from '../../../src/controllers/statefulvolume/attachment.js';

const t0 = new Date('2026-03-01T10:00:00Z');
const at = (s: number): Date => new Date(t0.getTime() + s * 1000);

function pod(
  name: string,
  node: string,
  opts: { created?: number; scheduled?: number; deleted?: number; claim?: string; phase?: string } = {},
): PodView {
  return {
    metadata: {
      name,
      creationTimestamp: at(opts.created ?? 0).toISOString(),
      ...(opts.deleted !== undefined ? { deletionTimestamp: at(opts.deleted).toISOString() } : {}),
    },
    spec: {
      nodeName: node,
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: opts.claim ?? 'data-db-0' } }],
    },
    status: {
      phase: opts.phase ?? 'Running',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'True',
          lastTransitionTime: at(opts.scheduled ?? opts.created ?? 0).toISOString(),
        },
      ],
    },
  };
}

const zones: Record<string, string> = { 'n-a1': 'zone-a', 'n-a2': 'zone-a', 'n-b1': 'zone-b' };

function input(
  pods: PodView[],
  previous?: AttachmentStatus,
  lost: Record<string, number> = {},
): AttachmentInput {
  return {
    claimName: 'data-db-0',
    pods,
    previous,
    now: at(1000),
    zoneOfNode: (n) => zones[n],
    nodeLostAt: (n) => (lost[n] !== undefined ? at(lost[n]) : undefined),
  };
}

test('the first pod that mounts the claim is recorded with no moves', () => {
  const got = observeAttachment(input([pod('db-0', 'n-a1', { scheduled: 5 })]));
  assert.deepEqual(got, { pod: 'db-0', node: 'n-a1', zone: 'zone-a', since: at(5).toISOString(), moves: 0 });
});

test('pods that mount other claims or have finished are ignored', () => {
  const got = observeAttachment(
    input([pod('other', 'n-a1', { claim: 'x' }), pod('job', 'n-a2', { phase: 'Succeeded' })]),
  );
  assert.equal(got, undefined);
});

test('an unchanged pod returns the same status object, so nothing is written', () => {
  const prev = observeAttachment(input([pod('db-0', 'n-a1')]));
  assert.equal(observeAttachment(input([pod('db-0', 'n-a1')], prev)), prev);
});

test('a pod whose node went NotReady is marked interrupted at that moment', () => {
  const prev = observeAttachment(input([pod('db-0', 'n-a1')]));
  const got = observeAttachment(input([pod('db-0', 'n-a1')], prev, { 'n-a1': 100 }));
  assert.equal(got?.interruptedAt, at(100).toISOString());
});

test('a move to another node counts one move and times it from the interruption', () => {
  const prev: AttachmentStatus = {
    pod: 'db-0',
    node: 'n-a1',
    since: at(0).toISOString(),
    moves: 0,
    interruptedAt: at(100).toISOString(),
  };
  const got = observeAttachment(input([pod('db-0', 'n-a2', { created: 120, scheduled: 124 })], prev));
  assert.equal(got?.moves, 1);
  assert.equal(got.node, 'n-a2');
  assert.equal(got.lastMoveSeconds, 24);
  assert.equal(got.interruptedAt, undefined);
});

test('a move whose interruption was never seen is counted but not timed', () => {
  const prev: AttachmentStatus = { pod: 'db-0', node: 'n-a1', since: at(0).toISOString(), moves: 2 };
  const got = observeAttachment(input([pod('db-0', 'n-b1', { scheduled: 300 })], prev));
  assert.equal(got?.moves, 3);
  assert.equal(got.zone, 'zone-b');
  assert.equal(got.lastMoveSeconds, undefined);
});

test('a terminating pod still counts as the consumer until its replacement exists', () => {
  const old = pod('db-0', 'n-a1', { deleted: 50 });
  assert.equal(currentConsumer('data-db-0', [old])?.spec?.nodeName, 'n-a1');
  const replacement = pod('db-0-new', 'n-a2', { created: 60 });
  assert.equal(currentConsumer('data-db-0', [old, replacement])?.spec?.nodeName, 'n-a2');
});

test('a pod that disappeared keeps the last known attachment', () => {
  const prev: AttachmentStatus = { pod: 'db-0', node: 'n-a1', since: at(0).toISOString(), moves: 1 };
  assert.equal(observeAttachment(input([], prev)), prev);
});
