/**
 * The little of IAM and CloudWatch Logs a task start needs: which actions a role allows, and
 * which log groups exist. Enough to reproduce the first-ECS-service mistakes — the execution role
 * (used by the ECS agent: image pull, logs, secrets) confused with the task role (used by the
 * application), and an `awslogs` log group nobody created.
 */
import { logGroupArn, roleArn } from './ids.js';

/** A role and the actions its policies allow (`service:Action`, wildcards `*` allowed). */
export interface SimRole {
  name: string;
  arn: string;
  actions: string[];
}

/** IAM roles of the simulated account. */
export class DrillIam {
  readonly roles = new Map<string, SimRole>();

  createRole(name: string, actions: readonly string[]): SimRole {
    const role: SimRole = { name, arn: roleArn(name), actions: [...actions] };
    this.roles.set(name, role);
    return role;
  }

  /** `PutRolePolicy`: allow more actions. */
  allow(name: string, actions: readonly string[]): void {
    const role = this.roles.get(name);
    if (!role) throw new Error(`drill: no role ${name}`);
    for (const a of actions) if (!role.actions.includes(a)) role.actions.push(a);
  }

  /** Does the role (by ARN) allow `action`? No role allows nothing. */
  allows(arn: string | undefined, action: string): boolean {
    if (arn === undefined) return false;
    const role = [...this.roles.values()].find((r) => r.arn === arn);
    return role?.actions.some((pattern) => matches(pattern, action)) ?? false;
  }

  roleByArn(arn: string | undefined): SimRole | undefined {
    return arn === undefined ? undefined : [...this.roles.values()].find((r) => r.arn === arn);
  }
}

function matches(pattern: string, action: string): boolean {
  if (pattern === '*') return true;
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
  return re.test(action);
}

/** One log event an application wrote. */
export interface SimLogEvent {
  group: string;
  stream: string;
  at: number;
  message: string;
}

/** CloudWatch Logs log groups, and what applications wrote to them. */
export class DrillLogs {
  readonly groups = new Map<string, { name: string; arn: string; createdAt: number }>();
  private readonly written: SimLogEvent[] = [];

  createLogGroup(name: string, at: number): void {
    if (!this.groups.has(name)) this.groups.set(name, { name, arn: logGroupArn(name), createdAt: at });
  }

  exists(name: string): boolean {
    return this.groups.has(name);
  }

  /** `PutLogEvents` from a task's awslogs driver; dropped when the group does not exist. */
  put(group: string, stream: string, at: number, message: string): void {
    if (!this.groups.has(group)) return;
    this.written.push({ group, stream, at, message });
    if (this.written.length > 20_000) this.written.splice(0, this.written.length - 20_000);
  }

  /** `FilterLogEvents`: a group's events, oldest first, optionally only those containing `pattern`. */
  events(group: string, pattern?: string): SimLogEvent[] {
    return this.written.filter((e) => e.group === group && (pattern === undefined || e.message.includes(pattern)));
  }
}
