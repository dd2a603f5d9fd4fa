/**
 * The `check-images` job: parse its arguments, run the scan with progress, answer with the
 * rendered report. Read-only, so it needs no checkpoints: a retry simply scans again.
 */
import { z } from 'zod';
import { LifeboatError } from '../core/errors.js';
import type { JobHandler, JobOutputs } from '../core/jobs.js';
import { textMessage } from '../core/message.js';
import type { ScanScope } from './graph.js';
import { renderScanReport } from './render.js';
import type { ScanReport } from './report.js';
import { runImageScan, type ScanDeps, type ScanOptions, type ScanProgress } from './scan.js';

/**
 * Job data, as `commands/check-images.yaml` parses it: `target` is `cluster` or `cluster/service`;
 * `cluster`/`service` may also come separately (events, alerts).
 */
export const checkImagesJobData = z.object({
  target: z.string().regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)?$/, 'expected cluster or cluster/service').optional(),
  cluster: z.string().min(1).optional(),
  service: z.string().min(1).optional(),
  account: z.string().regex(/^[0-9]{12}$/, 'expected a 12-digit account id').optional(),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-[0-9]+$/, 'expected a Region such as us-east-1').optional(),
  /** `--json`: answer with the report itself (for scripts) instead of the card. */
  json: z.boolean().optional(),
});

/** Parsed job data. */
export type CheckImagesJobData = z.infer<typeof checkImagesJobData>;

/** Exposure settings and a hook for the finished report. */
export interface CheckImagesJobOptions {
  horizonDays?: number;
  burstMargin?: number;
  /** Cross-check exposure with ECR's lifecycle preview (settings `images.lifecyclePreview`). */
  lifecyclePreview?: ScanOptions['lifecyclePreview'];
  /** Called with every finished report (store it for `GET /api/images`, attach it to an incident). */
  onReport?: (report: ScanReport) => Promise<void>;
  /** Structured outputs for runbook steps (`${steps.check.missing}`), derived from the report. */
  outputs?: (report: ScanReport) => JobOutputs;
}

/** Build the `check-images` handler; the composition root registers it under that job kind. */
export function createCheckImagesJob(deps: ScanDeps, options: CheckImagesJobOptions = {}): JobHandler {
  return async (data, ctx) => {
    const parsed = checkImagesJobData.safeParse(data);
    if (!parsed.success) {
      throw new LifeboatError('COMMAND_ARGS_INVALID', `check images: ${parsed.error.issues.map((i) => i.message).join('; ')}.`);
    }
    const scope = scopeOf(parsed.data);
    ctx.log.info({ scope }, 'image scan started');
    const report = await runImageScan(deps, {
      scope,
      signal: ctx.signal,
      onProgress: (p) => ctx.progress(textMessage(progressText(p))),
      ...(options.horizonDays !== undefined ? { horizonDays: options.horizonDays } : {}),
      ...(options.burstMargin !== undefined ? { burstMargin: options.burstMargin } : {}),
      ...(options.lifecyclePreview !== undefined ? { lifecyclePreview: options.lifecyclePreview } : {}),
    });
    ctx.log.info({ totals: report.totals, calls: report.calls, problems: report.problems.length }, 'image scan finished');
    await options.onReport?.(report);
    const card = renderScanReport(report);
    const message = parsed.data.json ? { summary: card.summary, tone: card.tone, blocks: [{ type: 'code' as const, text: JSON.stringify(report, null, 2) }] } : card;
    return options.outputs ? { ...message, outputs: options.outputs(report) } : message;
  };
}

/** `cluster/service` and the separate fields, merged into a scope. */
export function scopeOf(data: CheckImagesJobData): ScanScope {
  const [cluster, service] = data.target?.split('/') ?? [];
  const scope: ScanScope = {};
  const c = data.cluster ?? cluster;
  const s = data.service ?? service;
  if (c !== undefined) scope.cluster = c;
  if (s !== undefined) scope.service = s;
  if (data.account !== undefined) scope.account = data.account;
  if (data.region !== undefined) scope.region = data.region;
  if (scope.service !== undefined && scope.cluster === undefined) {
    throw new LifeboatError('COMMAND_ARGS_INVALID', 'check images: name the cluster too, as cluster/service.');
  }
  return scope;
}

function progressText(p: ScanProgress): string {
  switch (p.phase) {
    case 'graph':
      return `Checking images: found ${plural(p.services, 'service')} using ${plural(p.repositoriesTotal, 'repository', 'repositories')}…`;
    case 'images':
      return `Checking images: ${p.repositoriesDone} of ${plural(p.repositoriesTotal, 'repository', 'repositories')} checked…`;
    case 'done':
      return 'Checking images: done.';
  }
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
