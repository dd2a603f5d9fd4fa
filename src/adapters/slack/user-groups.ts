import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import type { SlackOutbox } from './web-api-outbox.js';

/** The resolver's collaborators and cache timings. */
export interface UserGroupResolverOptions {
  outbox: Pick<SlackOutbox, 'call'>;
  logger: Logger;
  /** How long a membership snapshot is trusted (default 5 minutes). */
  ttlMs?: number;
  /** How long to wait before asking again after a failure (default 1 minute). */
  retryAfterFailureMs?: number;
  clock?: Clock;
}

interface UserGroup {
  id?: unknown;
  users?: unknown;
}

/**
 * Which Slack user groups (`S…` ids) a user belongs to, for permission rules that name groups.
 *
 * Needs the `usergroups:read` scope. One `usergroups.list?include_users=true` call fetches every
 * group with its members; the snapshot is cached for `ttlMs`, and concurrent lookups share one
 * refresh. When Slack refuses (scope missing, network), the last good snapshot is used, or no
 * groups at all: a failure can only take permissions away, never grant them.
 */
export class UserGroupResolver {
  private members = new Map<string, string[]>();
  private nextRefreshAt = 0;
  private refreshing: Promise<void> | undefined;
  private readonly ttlMs: number;
  private readonly retryAfterFailureMs: number;
  private readonly clock: Clock;

  constructor(private readonly options: UserGroupResolverOptions) {
    this.ttlMs = options.ttlMs ?? 5 * 60_000;
    this.retryAfterFailureMs = options.retryAfterFailureMs ?? 60_000;
    this.clock = options.clock ?? systemClock;
  }

  /** The group ids `userId` is a member of (empty when unknown). */
  async groupsOf(userId: string): Promise<string[]> {
    if (this.clock.now() >= this.nextRefreshAt) {
      this.refreshing ??= this.refresh().finally(() => {
        this.refreshing = undefined;
      });
      await this.refreshing;
    }
    return [...(this.members.get(userId) ?? [])];
  }

  private async refresh(): Promise<void> {
    try {
      const result = await this.options.outbox.call('usergroups.list', { include_users: true, include_disabled: false });
      const groups = Array.isArray(result.usergroups) ? (result.usergroups as UserGroup[]) : [];
      const members = new Map<string, string[]>();
      for (const group of groups) {
        if (typeof group.id !== 'string') continue;
        const users = Array.isArray(group.users) ? group.users : await this.usersOf(group.id);
        for (const user of users) {
          if (typeof user !== 'string') continue;
          members.set(user, [...(members.get(user) ?? []), group.id]);
        }
      }
      this.members = members;
      this.nextRefreshAt = this.clock.now() + this.ttlMs;
    } catch (err) {
      this.options.logger.warn(
        { err },
        'Could not read Slack user groups (the app needs the usergroups:read scope); group-based permissions use the last known membership',
      );
      this.nextRefreshAt = this.clock.now() + this.retryAfterFailureMs;
    }
  }

  // Only reached when a group comes back without its `users` list; ask for that group directly.
  private async usersOf(groupId: string): Promise<unknown[]> {
    const result = await this.options.outbox.call('usergroups.users.list', { usergroup: groupId });
    const users: unknown = result.users;
    return Array.isArray(users) ? (users as unknown[]) : [];
  }
}
