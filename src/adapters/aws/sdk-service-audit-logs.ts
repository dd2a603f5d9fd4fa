/**
 * The CloudWatch Logs half of `SdkServiceAudit` (the `diagnose` port): does an awslogs log group
 * exist (`DescribeLogGroups`), and what did the app write to it in the last hour
 * (`FilterLogEvents`). Also `auditAnswer`, which both halves use to turn one SDK call into an
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
  region: string;
  /** Sets the `FilterLogEvents` window. */
  clock: Clock;
}

/** How far back `appLogLines` searches: the audit is about tasks failing to start now. */
export const APP_LOG_WINDOW_MS = 60 * 60_000;
/** A log line longer than this is cut (a stack trace is not a finding). */
export const APP_LOG_LINE_CHARS = 300;
/** `FilterLogEvents` may answer a page with no events and a token; follow at most this many pages. */
const FILTER_MAX_PAGES = 5;

/** The call, and which service-specific error names mean the resource is missing. */
export interface AuditCallContext extends AwsCallContext {
  notFoundErrors?: readonly string[];
}

/** Run one account-fact call (see the file comment). */
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
    return { known: false, why: mapped.userMessage };
  }
}

/** `logGroupExists` and `appLogLines` on `CloudWatchLogsClient`. */
export class SdkAuditLogs {
  constructor(
    private readonly logs: CloudWatchLogsClient,
    private readonly options: SdkAuditLogsOptions,
  ) {}

  /**
   * A prefix search, matched exactly (the prefix also finds `/ecs/api-worker` for `/ecs/api`).
   * AWS sorts the answer by name, so the exact name — the shortest with that prefix — comes
   * first: one page decides.
   */
  logGroupExists(group: string): Promise<Answer<boolean>> {
    return auditAnswer({ action: 'logs:DescribeLogGroups', resource: this.groupArn('*') }, async () => {
      const out = await this.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: group, limit: 50 }));
      return (out.logGroups ?? []).some((g) => g.logGroupName === group);
    });
  }

  /**
   * Events of the last hour that contain `pattern` as a phrase, each clipped, oldest first. AWS
   * answers oldest first, a page at a time (a page may be empty and still carry a token): the
   * first pages are read and the newest `limit` events of them kept.
   */
  appLogLines(group: string, pattern: string, limit: number): Promise<Answer<string[]>> {
    const ctx: AuditCallContext = { action: 'logs:FilterLogEvents', resource: this.groupArn(group), notFound: `log group ${group} (${this.where()})` };
    return auditAnswer(ctx, async () => {
      const events: FilteredLogEvent[] = [];
      const startTime = this.options.clock.now() - APP_LOG_WINDOW_MS;
      let nextToken: string | undefined;
      for (let page = 0; page < FILTER_MAX_PAGES; page++) {
        const out = await this.logs.send(
          new FilterLogEventsCommand({ logGroupName: group, filterPattern: quotedTerm(pattern), startTime, limit, ...(nextToken !== undefined ? { nextToken } : {}) }),
        );
        events.push(...(out.events ?? []));
        nextToken = out.nextToken;
        if (nextToken === undefined) break;
      }
      return events
        .sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0))
        .slice(-limit)
        .map((e) => clip((e.message ?? '').trimEnd(), APP_LOG_LINE_CHARS));
    });
  }

  private groupArn(group: string): string {
    const { region, account } = this.options;
    return `arn:${partitionOf(region)}:logs:${region}:${account}:log-group:${group}`;
  }

  private where(): string {
    return `account ${this.options.account} ${this.options.region}`;
  }
}

/** A filter pattern matching `text` as one term (spaces and punctuation included). */
function quotedTerm(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
