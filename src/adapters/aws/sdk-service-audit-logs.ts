/**
 * The CloudWatch Logs half of `SdkServiceAudit` (the `diagnose` port): does an awslogs log group
 * exist (`DescribeLogGroups`), and what did the app write to it in the last hour
 * (`FilterLogEvents`), each in the group's own Region (`awslogs-region`). Also `auditAnswer`, which both halves use to turn one SDK call into an
 * `Answer`: a call Lifeboat may not make, or that AWS refuses for good (missing group or role,
 * invalid input), answers `unknown` with the sentence naming the IAM action or the missing
 * resource; a transient failure (throttling, 5xx) is thrown, so the job is retried.
 */
import { DescribeLogGroupsCommand, FilterLogEventsCommand, type CloudWatchLogsClient, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import type { Clock } from '../../core/clock.js';
import { partitionOf } from '../../images/image-reference.js';
import type { Answer } from '../../recovery/diagnose-ports.js';
import { clip } from '../../recovery/text.js';
import { mapAwsError, type AwsCallContext } from './errors.js';

/** Options of `SdkAuditLogs`. */
export interface SdkAuditLogsOptions {
  account: string;
  /** The target's Region: where a log group is looked for when the task definition names none. */
  region: string;
  /** Sets the `FilterLogEvents` windows. */
  clock: Clock;
}

/** The CloudWatch Logs client of a Region (awslogs-region may name another one than the target's). */
export type LogsClientIn = (region: string) => CloudWatchLogsClient;

/** How far back `appLogLines` searches: the audit is about tasks failing to start now. */
export const APP_LOG_WINDOW_MS = 60 * 60_000;
/** The window searched first, so that a busy hour still yields the newest lines. */
export const APP_LOG_RECENT_MS = 15 * 60_000;
/** A log line longer than this is cut (a stack trace is not a finding). */
export const APP_LOG_LINE_CHARS = 300;
/** `FilterLogEvents` may answer a page with no events and a token; follow at most this many pages a window. */
const FILTER_MAX_PAGES = 5;
/** The opt-in policy that grants the reads `auditAnswer` runs (`logs:*`, `iam:SimulatePrincipalPolicy`). */
export const DIAGNOSE_POLICY_FILE = 'deploy/iam/lifeboat-diagnose.json';

/** The call, and which service-specific error names mean the resource is missing. */
export interface AuditCallContext extends AwsCallContext {
  notFoundErrors?: readonly string[];
}

/**
 * Run one account-fact call (see the file comment). Every call run here is a `diagnose` read of the
 * opt-in diagnose policy, so a denial names that file, not the read-only policy.
 */
export async function auditAnswer<T>(ctx: AuditCallContext, fn: () => Promise<T>): Promise<Answer<T>> {
  try {
    return { known: true, value: await fn() };
  } catch (err) {
    const name = typeof err === 'object' && err !== null && 'name' in err && typeof err.name === 'string' ? err.name : '';
    if (ctx.notFoundErrors?.includes(name)) {
      const what = ctx.notFound ?? ctx.resource;
      return { known: false, why: `${what.charAt(0).toUpperCase()}${what.slice(1)} does not exist.` };
    }
    const mapped = mapAwsError(err, ctx);
    if (mapped.retryable) throw mapped;
    if (mapped.code === 'AWS_ACCESS_DENIED' && mapped.userMessage.startsWith('Lifeboat is not allowed')) {
      return { known: false, why: `Lifeboat is not allowed ${ctx.action} on ${ctx.resource}; attach the diagnose IAM policy (${DIAGNOSE_POLICY_FILE}) to Lifeboat's role in this account.` };
    }
    return { known: false, why: mapped.userMessage };
  }
}

/** `logGroupExists` and `appLogLines` on a CloudWatch Logs client per Region. */
export class SdkAuditLogs {
  constructor(
    private readonly logsIn: LogsClientIn,
    private readonly options: SdkAuditLogsOptions,
  ) {}

  /**
   * A prefix search in the group's Region, matched exactly (the prefix also finds
   * `/ecs/api-worker` for `/ecs/api`). AWS sorts the answer by name, so the exact name — the
   * shortest with that prefix — comes first: one page decides.
   */
  logGroupExists(group: string, region: string | undefined): Promise<Answer<boolean>> {
    const r = region ?? this.options.region;
    return auditAnswer({ action: 'logs:DescribeLogGroups', resource: this.groupArn('*', r) }, async () => {
      const out = await this.logsIn(r).send(new DescribeLogGroupsCommand({ logGroupNamePrefix: group, limit: 50 }));
      return (out.logGroups ?? []).some((g) => g.logGroupName === group);
    });
  }

  /**
   * The newest events of the last hour that contain `pattern` as a phrase, each clipped, oldest
   * first. AWS answers oldest first, a page at a time (a page may be empty and still carry a
   * token), and only a few pages are read: so the last 15 minutes are searched first, and the rest
   * of the hour only when they hold fewer than `limit` matches.
   */
  appLogLines(group: string, region: string | undefined, pattern: string, limit: number): Promise<Answer<string[]>> {
    const r = region ?? this.options.region;
    const ctx: AuditCallContext = { action: 'logs:FilterLogEvents', resource: this.groupArn(group, r), notFound: `log group ${group} (${this.where(r)})` };
    return auditAnswer(ctx, async () => {
      const now = this.options.clock.now();
      const recent = await this.search(r, group, pattern, limit, now - APP_LOG_RECENT_MS);
      const older = recent.length < limit ? await this.search(r, group, pattern, limit - recent.length, now - APP_LOG_WINDOW_MS, now - APP_LOG_RECENT_MS - 1) : [];
      return [...older, ...recent].map((e) => clip((e.message ?? '').trimEnd(), APP_LOG_LINE_CHARS));
    });
  }

  /** One window (`endTime` inclusive, open when absent): its newest `limit` events of the pages read, oldest first. */
  private async search(region: string, group: string, pattern: string, limit: number, startTime: number, endTime?: number): Promise<FilteredLogEvent[]> {
    const events: FilteredLogEvent[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < FILTER_MAX_PAGES; page++) {
      const out = await this.logsIn(region).send(
        new FilterLogEventsCommand({
          logGroupName: group,
          filterPattern: quotedTerm(pattern),
          startTime,
          ...(endTime !== undefined ? { endTime } : {}),
          limit,
          ...(nextToken !== undefined ? { nextToken } : {}),
        }),
      );
      events.push(...(out.events ?? []));
      nextToken = out.nextToken;
      if (nextToken === undefined) break;
    }
    return events.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0)).slice(-limit);
  }

  private groupArn(group: string, region: string): string {
    return `arn:${partitionOf(region)}:logs:${region}:${this.options.account}:log-group:${group}`;
  }

  private where(region: string): string {
    return `account ${this.options.account} ${region}`;
  }
}

/** A filter pattern matching `text` as one term (spaces and punctuation included). */
function quotedTerm(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
