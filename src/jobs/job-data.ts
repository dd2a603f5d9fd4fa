import type { Conversation, JobRequest } from '../chat/ports.js';

/**
 * What is stored in Redis for a job. Deliberately small and secret-free: the requester is only
 * an id and a display name (no groups, no tokens), and `data` is the command's parsed args.
 */
export interface LifeboatJobData {
  kind: string;
  data: Record<string, unknown>;
  /** Absent: a background job that posts nothing (see `JobRequest.replyTo`). */
  replyTo?: Conversation;
  requester: { userId: string; userName?: string };
  commandText: string;
}

/** Builds the stored job data from a router request, dropping what a job must not carry. */
export function toJobData(request: JobRequest): LifeboatJobData {
  const requester: LifeboatJobData['requester'] = { userId: request.requester.userId };
  if (request.requester.userName !== undefined) requester.userName = request.requester.userName;
  const job: LifeboatJobData = { kind: request.kind, data: request.data, requester, commandText: request.commandText };
  if (request.replyTo) {
    const replyTo: Conversation = { surface: request.replyTo.surface, channel: request.replyTo.channel };
    if (request.replyTo.threadTs !== undefined) replyTo.threadTs = request.replyTo.threadTs;
    job.replyTo = replyTo;
  }
  return job;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks data read back from Redis. A job written by an older or foreign producer must fail
 * clearly instead of crashing the worker deep inside a handler.
 */
export function parseJobData(raw: unknown): LifeboatJobData {
  if (!isRecord(raw)) throw new Error('job data is not an object');
  const { kind, data, replyTo, requester, commandText } = raw;
  if (typeof kind !== 'string' || !isRecord(data) || typeof commandText !== 'string') throw new Error('job data lacks kind/data/commandText');
  const conversation = replyTo === undefined ? undefined : conversationOf(replyTo);
  if (replyTo !== undefined && !conversation) throw new Error('job data has no valid replyTo');
  if (!isRecord(requester) || typeof requester.userId !== 'string') throw new Error('job data has no requester');
  const who: LifeboatJobData['requester'] = { userId: requester.userId };
  if (typeof requester.userName === 'string') who.userName = requester.userName;
  const job: LifeboatJobData = { kind, data, requester: who, commandText };
  if (conversation) job.replyTo = conversation;
  return job;
}

function conversationOf(raw: unknown): Conversation | undefined {
  if (!isRecord(raw) || (raw.surface !== 'slack' && raw.surface !== 'console') || typeof raw.channel !== 'string') return undefined;
  const conversation: Conversation = { surface: raw.surface, channel: raw.channel };
  if (typeof raw.threadTs === 'string') conversation.threadTs = raw.threadTs;
  return conversation;
}
