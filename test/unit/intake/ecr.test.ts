import { describe, expect, it } from 'vitest';
import { parseCloudTrailRecord } from '../../../src/intake/ecr/cloudtrail.js';
import { parseEventBridgeEvent } from '../../../src/intake/eventbridge/dispatch.js';
import { alertsOf, fixture, fixtureText, ignoredReason, onlyAlert, refusal } from './fixtures.js';

const DIR = 'ecr';
const parseEvent = (file: string) => parseEventBridgeEvent(fixtureText(`${DIR}/${file}`));
const DIGEST_7F = 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234';

describe('ECR Image Action', () => {
  it('records a PUSH as an info image-event with repository, digest and tag', () => {
    const alert = onlyAlert(parseEvent('ecr-image-action-push.json'));
    expect(alert).toMatchObject({
      source: 'eventbridge',
      deliveryId: 'eventbridge:13cde686-328b-6117-af20-0e5566167482',
      fingerprint: `ecr-image/123456789012/us-west-2/my-repository-name@${DIGEST_7F}/push`,
      name: 'ECR Image Action',
      status: 'firing',
      severity: 'info',
      class: 'image-event',
      target: { account: '123456789012', region: 'us-west-2', repository: 'my-repository-name', imageDigest: DIGEST_7F, imageTag: 'latest' },
      occurredAt: Date.parse('2019-11-16T01:54:34Z'),
      imageEvent: { action: 'push', repository: 'my-repository-name', digest: DIGEST_7F, tags: ['latest'], result: 'success' },
    });
    expect(alert.summary).toBe('Image my-repository-name:latest@sha256:7f5b2640fe6f pushed');
  });

  it('records a DELETE with its own fingerprint (never merged with the push)', () => {
    const push = onlyAlert(parseEvent('ecr-image-action-push.json'));
    const del = onlyAlert(parseEvent('ecr-image-action-delete.json'));
    expect(del).toMatchObject({ deliveryId: 'eventbridge:dd3b46cb-2c74-f49e-393b-28286b67279d', imageEvent: { action: 'delete', digest: DIGEST_7F } });
    expect(del.fingerprint).not.toBe(push.fingerprint);
  });

  it('records UPDATE_STORAGE_CLASS to STANDARD as a restore and to ARCHIVE as an archive', () => {
    const restore = onlyAlert(parseEvent('ecr-image-action-restore-update-storage-class.json'));
    expect(restore).toMatchObject({
      target: { account: '123456789012', region: 'us-east-1', repository: 'ubuntu', imageDigest: 'sha256:f98d67af8e53a536502bfc600de3266556b06ed635a32d60aa7a5fe6d7e609d7' },
      imageEvent: { action: 'restore', storageClass: 'STANDARD', tags: [], result: 'success' },
      labels: { manifestMediaType: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(restore.target.imageTag).toBeUndefined();
    const archive = onlyAlert(parseEvent('ecr-image-action-archive-update-storage-class.lifeboat-CONSTRUCTED.json'));
    expect(archive.imageEvent).toMatchObject({ action: 'archive', storageClass: 'ARCHIVE' });
  });

  it('names a missing repository-name', () => {
    const event = fixture(`${DIR}/ecr-image-action-push.json`);
    delete event.detail['repository-name'];
    expect(refusal(parseEventBridgeEvent(event))).toMatchObject({ status: 400, reason: expect.stringContaining('repository-name') });
  });
});

describe('other ECR events', () => {
  it('records a successful replication (info) and a failed one (warning) in the destination region', () => {
    const ok = onlyAlert(parseEvent('ecr-replication-action-success.json'));
    expect(ok).toMatchObject({
      severity: 'info',
      target: { region: 'us-east-1', repository: 'docker-hub/alpine', imageTag: '3.17.2' },
      imageEvent: { action: 'replicate', result: 'success' },
      labels: { sourceRegion: 'us-west-2', sourceAccount: '123456789012' },
    });
    const failed = onlyAlert(parseEvent('ecr-replication-action-failed.json'));
    expect(failed).toMatchObject({
      severity: 'warning',
      status: 'firing',
      // The doc example's digest is not hex; it is kept as sent.
      target: { repository: 'my-app', imageDigest: 'sha256:8g6c3751gf7gc5g47603ege4511d5a80ead5g90f5893543f1489bde2345' },
      imageEvent: { action: 'replicate', result: 'failure' },
    });
  });

  it('records a pull-through-cache sync', () => {
    const alert = onlyAlert(parseEvent('ecr-pull-through-cache-action.json'));
    expect(alert).toMatchObject({
      target: { region: 'us-west-2', repository: 'docker-hub/alpine', imageTag: '3.17.2' },
      imageEvent: { action: 'pull-through-cache', result: 'success' },
      labels: { upstreamRegistry: 'public.ecr.aws' },
    });
  });

  it.each([
    ['ecr-image-scan-basic-complete.json', /scan results are not an availability signal/],
    ['ecr-scan-resource-change-enhanced.json', /scan configuration changes/],
    ['ecr-referrer-action-restore.json', /referrer artifacts/],
  ])('ignores %s with a reason', (file, reason) => {
    expect(ignoredReason(parseEvent(file))).toMatch(reason);
  });
});

describe('ECR CloudTrail records', () => {
  const expire = 'cloudtrail-policy-execution-event-lifecycle-expire.json';

  it('turns a lifecycle PolicyExecutionEvent into one expire image-event per digest', () => {
    const list = alertsOf(parseCloudTrailRecord(fixtureText(`${DIR}/${expire}`)));
    expect(list).toHaveLength(2);
    expect(list.map((a) => a.imageEvent)).toEqual([
      {
        action: 'expire',
        repository: 'testrepo',
        digest: 'sha256:ddba4d27a7ffc3f86dd6c2f92041af252a1f23a8e742c90e6e1297bfa1bc0c45',
        tags: ['alpine'],
        result: 'success',
        rulePriority: 1,
        pushedAt: 1584042813000,
      },
      {
        action: 'expire',
        repository: 'testrepo',
        digest: 'sha256:6ab380c5a5acf71c1b6660d645d2cd79cc8ce91b38e0352cbf9561e050427baf',
        tags: ['centos'],
        result: 'success',
        rulePriority: 1,
        pushedAt: 1584042842000,
      },
    ]);
    expect(list[0]).toMatchObject({
      deliveryId: 'cloudtrail:9354dd7f-9aac-4e9d-956d-12561a4923aa:sha256:ddba4d27a7ffc3f86dd6c2f92041af252a1f23a8e742c90e6e1297bfa1bc0c45',
      fingerprint: 'ecr-image/123456789012/us-west-2/testrepo@sha256:ddba4d27a7ffc3f86dd6c2f92041af252a1f23a8e742c90e6e1297bfa1bc0c45/expire',
      class: 'image-event',
      severity: 'info',
      target: { account: '123456789012', region: 'us-west-2', repository: 'testrepo', imageTag: 'alpine' },
      occurredAt: Date.parse('2020-03-12T20:22:12Z'),
      labels: { tagStatus: 'Tagged' },
    });
  });

  it('gives the record the same deliveryIds whether it came raw or inside EventBridge', () => {
    const raw = alertsOf(parseCloudTrailRecord(fixture(`${DIR}/${expire}`)));
    const viaEb = alertsOf(parseEvent('eventbridge-aws-service-event-via-cloudtrail.policy-execution.lifeboat-CONSTRUCTED.json'));
    expect(viaEb.map((a) => a.deliveryId)).toEqual(raw.map((a) => a.deliveryId));
    expect(viaEb.map((a) => a.fingerprint)).toEqual(raw.map((a) => a.fingerprint));
  });

  it('marks images acted on by a transition rule as archived', () => {
    const alert = onlyAlert(parseCloudTrailRecord(fixture(`${DIR}/cloudtrail-policy-execution-event-lifecycle-transition.lifeboat-CONSTRUCTED.json`)));
    expect(alert.imageEvent).toMatchObject({ action: 'archive', rulePriority: 1 });
  });

  it('records PutImage as a push', () => {
    const alert = onlyAlert(parseCloudTrailRecord(fixture(`${DIR}/cloudtrail-putimage-push.json`)));
    expect(alert).toMatchObject({
      deliveryId: 'cloudtrail:2bfd4ee2-2178-4a82-a27d-b12939923f0f:sha256:98c8b060c21d9adbb6b8c41b916e95e6307102786973ab93a41e8b86d1fc6d3e',
      target: { account: '123456789012', region: 'us-east-2', repository: 'testrepo', imageTag: 'latest' },
      imageEvent: { action: 'push', digest: 'sha256:98c8b060c21d9adbb6b8c41b916e95e6307102786973ab93a41e8b86d1fc6d3e' },
    });
  });

  it('records BatchDeleteImage as a delete per image id', () => {
    const alert = onlyAlert(parseCloudTrailRecord(fixture(`${DIR}/cloudtrail-batchdeleteimage.lifeboat-CONSTRUCTED.json`)));
    expect(alert.imageEvent).toMatchObject({ action: 'delete', repository: 'testrepo', tags: ['latest'] });
  });

  it('ignores BatchGetImage (a pull changes no image)', () => {
    expect(ignoredReason(parseCloudTrailRecord(fixture(`${DIR}/cloudtrail-batchgetimage-pull.json`)))).toMatch(/BatchGetImage does not change/);
  });

  it('ignores a failed call and a non-ECR record', () => {
    const failed = fixture(`${DIR}/cloudtrail-putimage-push.json`);
    failed.errorCode = 'ImageTagAlreadyExistsException';
    expect(ignoredReason(parseCloudTrailRecord(failed))).toMatch(/failed \(ImageTagAlreadyExistsException\)/);
    const other = fixture(`${DIR}/cloudtrail-putimage-push.json`);
    other.eventSource = 's3.amazonaws.com';
    expect(ignoredReason(parseCloudTrailRecord(other))).toMatch(/not an ECR record/);
  });

  it('names the bad field of a malformed PolicyExecutionEvent', () => {
    const record = fixture(`${DIR}/${expire}`);
    record.serviceEventDetails.lifecycleEventImageActions[0].lifecycleEventImage.digest = 42;
    expect(refusal(parseCloudTrailRecord(record))).toMatchObject({
      status: 400,
      reason: expect.stringContaining('lifecycleEventImageActions.0.lifecycleEventImage.digest'),
    });
  });
});
