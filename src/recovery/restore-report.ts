/**
 * What `restore` says: its plan (with the AWS calls a dry run shows), where it looked for a copy,
 * and its result. Pure: the job (`restore.ts`) decides, this file words it.
 */
import type { JobResult } from '../core/jobs.js';
import type { Block, Message } from '../core/message.js';
import { shortDigest } from '../images/image-reference.js';
import { renderCalls, type PlannedCall } from './calls.js';
import { describeLocation, type CopyLookup } from './copy-sources.js';
import type { EcrLocation } from './ports.js';
import { clip, formatDuration, plural } from './text.js';

const STATE_WORDS: Record<RestorePlan['state'], string> = {
  active: 'ACTIVE (pullable)',
  archived: 'ARCHIVED (not pullable until restored)',
  activating: 'ACTIVATING (being restored from the archive)',
  absent: 'gone from the repository',
};

/** The plan, recorded as the job's first checkpoint (plain JSON). */
export interface RestorePlan {
  target: EcrLocation;
  digest: string;
  /** What ECR said about the digest in the target when the plan was made. */
  state: 'active' | 'archived' | 'activating' | 'absent';
  method: 'none' | 'archive' | 'copy';
  source?: EcrLocation;
  /** Every place looked at for a copy, and what it held. */
  looked: { where: string; found: string }[];
  tag?: string;
  calls: PlannedCall[];
  warnings: string[];
  refusal?: string;
  plannedAt: number;
}

/** What the run did to each manifest. */
export interface RestoreTally {
  /** Every manifest looked at (an index may list a child twice). */
  visited: Set<string>;
  fromArchive: string[];
  copied: { digest: string; blobs: number; bytes: number }[];
  present: string[];
  /** Tags put back on the restored image. */
  tags: string[];
  notes: string[];
}

export function lookupText(l: CopyLookup): string {
  switch (l.state) {
    case 'active':
      return 'has it';
    case 'absent':
      return 'not there';
    case 'archived':
      return `archived there, so it cannot be copied until restored there`;
    case 'unknown':
      return `could not check: ${l.detail ?? 'unknown error'}`;
  }
}

export function readCalls(target: EcrLocation, digest: string, when?: string): PlannedCall[] {
  return [{ action: 'ecr:DescribeImages', input: { registryId: target.registryId, repositoryName: target.repository, imageIds: [{ imageDigest: digest }] }, mutating: false, ...(when !== undefined ? { when } : {}) }];
}

export function archiveCalls(pollSeconds: number, target: EcrLocation, digest: string, tag?: string): PlannedCall[] {
  return [
    { action: 'ecr:UpdateImageStorageClass', input: { registryId: target.registryId, repositoryName: target.repository, imageId: { imageDigest: digest }, targetStorageClass: 'STANDARD' }, mutating: true },
    ...readCalls(target, digest, `every ${pollSeconds} s until ACTIVE`),
    { action: 'ecr:UpdateImageStorageClass', input: { registryId: target.registryId, repositoryName: target.repository, imageId: { imageDigest: '<each archived child>' }, targetStorageClass: 'STANDARD' }, mutating: true, when: 'for an index, each child that is archived too' },
    ...tagCalls(target, digest, tag),
  ];
}

/** `--tag` on an image that is there: a PutImage of the same manifest with the tag. */
export function tagCalls(target: EcrLocation, digest: string, tag: string | undefined): PlannedCall[] {
  if (tag === undefined) return [];
  return [{ action: 'ecr:PutImage', input: { registryId: target.registryId, repositoryName: target.repository, imageDigest: digest, imageManifest: '<the same manifest>', imageTag: tag }, mutating: true, when: 'unless the image already has the tag' }];
}

export function copyCalls(source: EcrLocation, target: EcrLocation, digest: string, tag: string | undefined): PlannedCall[] {
  const where = (at: EcrLocation) => ({ registryId: at.registryId, repositoryName: at.repository });
  return [
    { action: 'ecr:BatchGetImage', input: { ...where(source), imageIds: [{ imageDigest: digest }] }, mutating: false, when: `in ${source.region}; for an index, each child too` },
    { action: 'ecr:BatchCheckLayerAvailability', input: { ...where(target), layerDigests: ['<each blob of the manifest>'] }, mutating: false },
    { action: 'ecr:GetDownloadUrlForLayer', input: { ...where(source), layerDigest: '<each blob the target lacks>' }, mutating: false },
    { action: 'ecr:InitiateLayerUpload', input: where(target), mutating: true, when: 'then UploadLayerPart and CompleteLayerUpload, for each blob the target lacks (sha256 checked)' },
    { action: 'ecr:PutImage', input: { ...where(target), imageDigest: digest, imageManifest: '<the exact manifest bytes>' }, mutating: true, when: 'children first, then the index' },
    { action: 'ecr:DescribeImages', input: { ...where(source), imageIds: [{ imageDigest: digest }] }, mutating: false, when: 'its tags there' },
    {
      action: 'ecr:PutImage',
      input: { ...where(target), imageDigest: digest, imageManifest: '<the same manifest>', imageTag: tag ?? '<each of its tags there that no image here holds>' },
      mutating: true,
      when: tag !== undefined ? 'for --tag, and each of its tags there that no image here holds' : 'for each of its tags there that no image here holds',
    },
  ];
}

export function renderPlan(plan: RestorePlan, dryRun: boolean): Message {
  const image = `${plan.target.repository}@${shortDigest(plan.digest)}`;
  const how =
    plan.method === 'archive'
      ? plan.state === 'activating'
        ? 'ECR is already restoring it from the archive: wait until it is ACTIVE'
        : 'restore it from ECR’s archive storage class (UpdateImageStorageClass → STANDARD), then wait until ACTIVE'
      : plan.method === 'copy' && plan.source
        ? `copy the exact manifest and its blobs from ${describeLocation(plan.source, plan.target)}`
        : plan.refusal === undefined
          ? 'nothing: it is ACTIVE (index children are checked)'
          : 'cannot be restored';
  const blocks: Block[] = [
    { type: 'header', text: `${dryRun ? 'Dry run: restore' : 'Restore'} ${image}` },
    {
      type: 'fields',
      fields: [
        { label: 'Repository', value: `${plan.target.repository} (${plan.target.registryId}, ${plan.target.region})` },
        { label: 'Now', value: STATE_WORDS[plan.state] },
        { label: 'How', value: how },
        ...(plan.tag !== undefined ? [{ label: 'Tag', value: plan.tag }] : []),
      ],
    },
  ];
  if (plan.looked.length > 0) blocks.push({ type: 'text', text: 'Where a copy was looked for' }, { type: 'list', items: plan.looked.map((l) => `${l.where}: ${l.found}`) });
  if (plan.refusal !== undefined) blocks.push({ type: 'text', text: plan.refusal });
  for (const w of plan.warnings) blocks.push({ type: 'context', text: w });
  if (plan.calls.length > 0) blocks.push({ type: 'text', text: dryRun ? 'AWS calls it would make (✎ = changes something)' : 'AWS calls (✎ = changes something)' }, { type: 'code', text: clip(renderCalls(plan.calls)) });
  if (dryRun) blocks.push({ type: 'context', text: 'Dry run: nothing was changed.' });
  return { summary: `${dryRun ? 'Dry run: ' : ''}restore ${image}: ${how}`, tone: plan.refusal !== undefined ? 'warning' : 'info', blocks };
}

export function resultMessage(plan: RestorePlan, tally: RestoreTally, children: number, now: number): JobResult {
  const image = `${plan.target.repository}@${shortDigest(plan.digest)}`;
  const bytes = tally.copied.reduce((n, c) => n + c.bytes, 0);
  const blobs = tally.copied.reduce((n, c) => n + c.blobs, 0);
  const from = tally.copied.length > 0 && plan.source ? describeLocation(plan.source, plan.target) : tally.fromArchive.length > 0 ? 'the archive' : 'nowhere: it was already there';
  const fields = [
    { label: 'From', value: from },
    { label: 'Took', value: formatDuration(now - plan.plannedAt) },
    { label: 'Manifests', value: `${tally.fromArchive.length} from the archive, ${tally.copied.length} copied, ${tally.present.length} already there` },
  ];
  if (tally.copied.length > 0) fields.push({ label: 'Copied', value: `${plural(blobs, 'blob')}, ${formatBytes(bytes)}` });
  if (children > 0) fields.push({ label: 'Index', value: `${plural(children, 'child', 'children')}, every one pullable` });
  if (tally.tags.length > 0) fields.push({ label: 'Tags', value: tally.tags.join(', ') });
  const restored = tally.fromArchive.length > 0 || tally.copied.length > 0;
  return {
    summary: restored ? `Restored ${image} from ${from}: it can be pulled again` : `${image} can be pulled: nothing to restore`,
    tone: 'success',
    blocks: [
      { type: 'header', text: restored ? `Restored ${image}` : `${image} is already pullable` },
      { type: 'fields', fields },
      ...tally.notes.map((text) => ({ type: 'context' as const, text })),
      {
        type: 'context',
        text: 'Services pinned to this digest start tasks again on their own: ECS keeps retrying failed starts, with a back-off. A redeploy starts them now, but re-resolves tags — check what the tag points to first.',
      },
    ],
    outputs: { restored: true, image: `${plan.target.repository}@${plan.digest}`, from, copied: tally.copied.length, fromArchive: tally.fromArchive.length, tags: tally.tags },
  };
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
