import type { CommandDefinition } from '../commands/definition.js';
import type { Conversation, Requester } from './ports.js';

/** Who may do what (the `access` section of lifeboat.yaml). */
export interface Grant {
  users: readonly string[];
  userGroups: readonly string[];
  channels: readonly string[];
}

export interface AccessPolicy {
  readOnlyForEveryone: boolean;
  operate: Grant;
  admin: Grant;
  commands: Readonly<Record<string, Grant>>;
  /** The role of the terminal user, who already holds this machine's shell and credentials. */
  consoleRole: 'read' | 'operate' | 'admin';
}

export type AccessDecision = { allowed: true } | { allowed: false; reason: string };

/**
 * Decides whether a requester may run a command here. A per-command grant replaces the role
 * grant; admins may do everything operators may; read-only commands are open to everyone
 * unless the policy closes them.
 */
export function authorize(definition: CommandDefinition, requester: Requester, conversation: Conversation, policy: AccessPolicy): AccessDecision {
  if (conversation.surface === 'console') {
    const rank = { read: 0, operate: 1, admin: 2 } as const;
    return rank[policy.consoleRole] >= rank[definition.permission]
      ? { allowed: true }
      : { allowed: false, reason: `\`${definition.id}\` needs the ${definition.permission} permission and the terminal is configured as ${policy.consoleRole} (access.consoleRole)` };
  }
  const override = policy.commands[definition.id];
  if (override) {
    return inGrant(override, requester, conversation)
      ? { allowed: true }
      : { allowed: false, reason: `\`${definition.id}\` is limited to the users, groups and channels listed under access.commands.${definition.id}` };
  }
  if (definition.permission === 'read' && policy.readOnlyForEveryone) return { allowed: true };
  if (inGrant(policy.admin, requester, conversation)) return { allowed: true };
  if (definition.permission !== 'admin' && inGrant(policy.operate, requester, conversation)) return { allowed: true };
  const role = definition.permission === 'read' ? 'operate' : definition.permission;
  return { allowed: false, reason: `\`${definition.id}\` needs the ${definition.permission} permission; ask an admin to add you (or your user group) under access.${role} in lifeboat.yaml` };
}

function inGrant(grant: Grant, requester: Requester, conversation: Conversation): boolean {
  const who = grant.users.includes(requester.userId) || (requester.groups ?? []).some((g) => grant.userGroups.includes(g));
  const where = grant.channels.length === 0 || grant.channels.includes(conversation.channel);
  return who && where;
}
