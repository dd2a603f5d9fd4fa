import type { Conversation, JobDispatcher } from '../chat/ports.js';
import type { Clock } from '../core/clock.js';
import type { Alert } from '../intake/alert.js';
import type { AlertSink } from '../intake/sink.js';
import { digestIndex, guardAlerts, servicesToRecheck, type DigestUse } from './guard.js';
import type { ScanReport } from './report.js';

/** digest → services, shared by every process (Redis in production). */
export interface DigestIndexStore {
  record(index: ReadonlyMap<string, readonly DigestUse[]>): Promise<void>;
  lookup(digest: string): Promise<DigestUse[]>;
}

/** Keeps the newest fleet-wide report for `GET /api/images`. */
export interface ReportStore {
  save(reportJson: string): Promise<void>;
}

export interface ImageGuardDeps {
  jobs: JobDispatcher;
  digests: DigestIndexStore;
  reports: ReportStore;
  /** The intake sink: guard findings are alerts like any other. */
  sink: AlertSink;
  clock: Clock;
  /** Where the guard's own check reports go; absent: nowhere (they speak through incidents). */
  replyTo?: Conversation;
}

/** The payload kind of the guard's repeating timer. */
export const IMAGE_GUARD_TIMER = 'image-guard';

/**
 * The scheduled guard and the deletion tripwire around `check images`: every finished scan
 * records which services run which digest and turns its findings into alerts; a timer queues a
 * full check; an alert about a deleted digest or a failed pull queues a check of exactly the
 * services concerned. Checks go through the job queue under the same dedup keys a person's
 * `check images` uses, so a guard check and a person's check of the same target are one job.
 */
export class ImageGuard {
  constructor(private readonly deps: ImageGuardDeps) {}

  /** `check images` calls this with every finished report. */
  readonly onReport = async (report: ScanReport): Promise<void> => {
    await this.deps.digests.record(digestIndex(report));
    if (Object.keys(report.scope).length === 0) await this.deps.reports.save(JSON.stringify(report));
    await this.deps.sink.accept(guardAlerts(report, this.deps.clock.now()));
  };

  /** The tripwire: called with every batch of stored alerts. */
  readonly recheck = async (alerts: readonly Alert[]): Promise<void> => {
    for (const alert of alerts) {
      for (const use of await servicesToRecheck(alert, (digest) => this.deps.digests.lookup(digest))) {
        const target = `${use.cluster}/${use.service}`;
        await this.deps.jobs.enqueue({
          kind: 'check-images',
          dedupKey: `check-images:target=${target}`,
          data: { target, account: use.account, region: use.region },
          ...(this.deps.replyTo ? { replyTo: this.deps.replyTo } : {}),
          requester: { userId: 'lifeboat', userName: 'Lifeboat tripwire' },
          commandText: `check images ${target} (tripwire: ${alert.name})`,
        });
      }
    }
  };

  /** The repeating timer: queues a full check (joining a running one). False for other timers. */
  async handleTimer(timer: { payload: { kind: string } }): Promise<boolean> {
    if (timer.payload.kind !== IMAGE_GUARD_TIMER) return false;
    await this.deps.jobs.enqueue({
      kind: 'check-images',
      dedupKey: 'check-images:*',
      data: {},
      ...(this.deps.replyTo ? { replyTo: this.deps.replyTo } : {}),
      requester: { userId: 'lifeboat', userName: 'Lifeboat guard' },
      commandText: 'check images (scheduled guard)',
    });
    return true;
  }
}
