import type { AuditEntry, AuditLog, ChatSurface, ConfirmationStore, Conversation, EnqueuedJob, JobDispatcher, JobRequest, MessageRef, PendingConfirmation, Requester, SurfaceName } from '../../src/chat/ports.js';
import type { Message } from '../../src/core/message.js';

/** In-memory audit log for unit tests. */
export class MemoryAuditLog implements AuditLog {
  readonly entries: AuditEntry[] = [];
  append(entry: AuditEntry): Promise<void> {
    this.entries.push(entry);
    return Promise.resolve();
  }
  recent(limit: number): Promise<AuditEntry[]> {
    return Promise.resolve([...this.entries].reverse().slice(0, limit));
  }
  outcomes(): string[] {
    return this.entries.map((e) => `${e.commandId}:${e.outcome}`);
  }
}

export class MemoryConfirmations implements ConfirmationStore {
  readonly items = new Map<string, PendingConfirmation>();
  save(p: PendingConfirmation): Promise<void> {
    this.items.set(p.id, p);
    return Promise.resolve();
  }
  take(id: string): Promise<PendingConfirmation | undefined> {
    const p = this.items.get(id);
    this.items.delete(id);
    return Promise.resolve(p);
  }
}

/** Records enqueued jobs; a second request with the same dedup key attaches, like the real one. */
export class RecordingDispatcher implements JobDispatcher {
  readonly requests: JobRequest[] = [];
  readonly running = new Map<string, string>();
  failWith: Error | undefined;
  enqueue(request: JobRequest): Promise<EnqueuedJob> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.requests.push(request);
    const existing = this.running.get(request.dedupKey);
    if (existing) return Promise.resolve({ jobId: existing, attached: true, state: 'active' });
    const jobId = `job-${this.requests.length}`;
    this.running.set(request.dedupKey, jobId);
    return Promise.resolve({ jobId, attached: false, state: 'waiting' });
  }
  cancel(jobId: string, _by: Requester): Promise<'cancelled' | 'not-running' | 'unknown'> {
    return Promise.resolve([...this.running.values()].includes(jobId) ? 'cancelled' : 'unknown');
  }
}

/** A surface that records every post and update. */
export class RecordingSurface implements ChatSurface {
  readonly posts: { to: Conversation; message: Message; ts: string }[] = [];
  readonly updates: { ref: MessageRef; message: Message }[] = [];
  constructor(readonly name: SurfaceName = 'console') {}
  post(to: Conversation, message: Message): Promise<MessageRef> {
    const ts = String(this.posts.length + 1);
    this.posts.push({ to, message, ts });
    return Promise.resolve({ surface: this.name, channel: to.channel, ts });
  }
  update(ref: MessageRef, message: Message): Promise<void> {
    this.updates.push({ ref, message });
    return Promise.resolve();
  }
}

/** All the text in a message, for assertions that do not care about layout. */
export function messageText(m: Message | undefined): string {
  if (!m) return '';
  return [m.summary, ...m.blocks.map((b) => JSON.stringify(b))].join('\n');
}
