/**
 * The whole Lifeboat app in the drill world, as `lifeboat drill <scenario>` builds it: real Redis
 * (the test one, under a fresh key prefix), real BullMQ, the shipped command definitions and
 * runbooks, the terminal surface printing into a capture, and a `DrillRuntime` on a manual
 * (simulated) clock. Tests talk to it only as people do: typed text through `router.handleCommand`
 * and button presses through `router.handleAction`.
 */
import { Writable } from 'node:stream';
import { afterEach, vi } from 'vitest';
import { join } from 'node:path';
import { DrillRuntime, type Detection } from '../../../src/adapters/drill/index.js';
import { freePort } from '../../../src/adapters/redis/embedded-redis.js';
import { RedisIncidentStore } from '../../../src/adapters/redis/redis-incident-store.js';
import { buildApp, SHIPPED_JOB_KINDS, type LifeboatApp } from '../../../src/app.js';
import type { Conversation, Requester } from '../../../src/chat/ports.js';
import { checkEverything } from '../../../src/cli/check.js';
import { packageRoot } from '../../../src/cli/definition-files.js';
import type { CommandRegistry } from '../../../src/commands/registry.js';
import { loadConfig, type Config } from '../../../src/config/load-config.js';
import { ManualClock, type Clock } from '../../../src/core/clock.js';
import { silentLogger } from '../../../src/core/logger.js';
import type { Action, Message } from '../../../src/core/message.js';
import type { TimelineEntry } from '../../../src/incidents/model.js';
import { loadRunbooks, type RunbookDefinition } from '../../../src/runbooks/index.js';
import { messageText } from '../../support/fakes.js';
import { testPrefix, testRedis, testRedisUrl } from '../../support/redis.js';
import { until } from '../../support/wait.js';

/** Where the terminal user types (the REPL's conversation). */
export const terminal: Conversation = { surface: 'console', channel: 'terminal' };
/** The terminal user, as `lifeboat drill` names them. */
export const newcomer: Requester = { userId: 'console', userName: 'newcomer' };

/** A Writable that keeps what the terminal surface printed. */
export class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    callback();
  }
}

/** The shipped command registry and runbooks, as `lifeboat check` loads them. */
export async function shippedDefinitions(): Promise<{ registry: CommandRegistry; runbooks: RunbookDefinition[] }> {
  const checked = await checkEverything({}, packageRoot, SHIPPED_JOB_KINDS);
  const critical = checked.problems.filter((p) => p.critical);
  if (critical.length > 0) throw new Error(`shipped definitions are broken: ${JSON.stringify(critical)}`);
  return { registry: checked.registry, runbooks: checked.runbooks };
}

/** Extra runbooks (test ones) checked against the shipped registry, on top of the shipped runbooks. */
export function withRunbooks(registry: CommandRegistry, shipped: readonly RunbookDefinition[], files: { path: string; text: string }[]): RunbookDefinition[] {
  const loaded = loadRunbooks(files, registry);
  const critical = loaded.problems.filter((p) => p.critical);
  if (critical.length > 0) throw new Error(`test runbooks are broken: ${JSON.stringify(critical)}`);
  return [...shipped, ...loaded.runbooks];
}

export interface LifeboatProcessOptions {
  /** The key prefix (share it to "restart" on the same Redis data). */
  prefix: string;
  /** The drill account (share it across a restart: it is the simulated AWS, not Lifeboat). */
  runtime: DrillRuntime;
  registry: CommandRegistry;
  runbooks: readonly RunbookDefinition[];
  /** `lifeboat.yaml` text (access grants for the approval tests). */
  yaml?: string;
}

/** One Lifeboat process over the drill account. */
export interface LifeboatProcess {
  app: LifeboatApp;
  config: Readonly<Config>;
  out: Capture;
  clock: Clock;
  /** Type a command, as `who` (default the terminal user) in `where` (default the terminal). */
  say(text: string, who?: Requester, where?: Conversation): Promise<Message>;
  /** Press a button. */
  press(action: Action, who?: Requester, where?: Conversation): Promise<Message | undefined>;
  stop(): Promise<void>;
}

/** Builds and starts the app in the drill world (HTTP on a free loopback port, so `start()` resumes runbooks). */
export async function startLifeboat(options: LifeboatProcessOptions): Promise<LifeboatProcess> {
  const port = await freePort();
  const loaded = loadConfig(
    {
      LIFEBOAT_REDIS_PREFIX: options.prefix,
      LIFEBOAT_PORT: String(port),
      LIFEBOAT_HOST: '127.0.0.1',
      LIFEBOAT_PROGRESS_INTERVAL_MS: '50',
    },
    options.yaml,
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  const out = new Capture();
  const app = buildApp({
    config: loaded.config,
    redisUrl: testRedisUrl(),
    redisWhere: 'test redis',
    role: 'all',
    logger: silentLogger,
    clock: options.runtime.clock,
    version: '0.0.0-e2e',
    registry: options.registry,
    runbooks: options.runbooks,
    world: { kind: 'drill', runtime: options.runtime },
    terminal: out,
    serveHttp: true,
  });
  await app.start();
  let stopped = false;
  return {
    app,
    config: loaded.config,
    out,
    clock: options.runtime.clock,
    say: (text, who = newcomer, where = terminal) => app.router.handleCommand({ text, requester: who, conversation: where }),
    press: (action, who = newcomer, where = terminal) => app.router.handleAction({ actionId: action.id, value: action.value, requester: who, conversation: where }),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await app.stop();
    },
  };
}

/**
 * A drill runtime whose job sleeps can be held: recovery jobs watch builds, rollouts and drains by
 * sleeping, and in a drill a sleep *advances* simulated time, so a job would otherwise finish
 * before a test could stop the process under it. `holdJobs(when)` parks the first job sleep that
 * starts once `when()` is true (e.g. once the job's StartBuild was made) until `release()` — or
 * until the job is aborted, as a process shutting down aborts it.
 */
export class HoldableDrillRuntime extends DrillRuntime {
  private hold: { when: () => boolean; held: () => void; released: Promise<void> } | undefined;

  override readonly sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
    const hold = this.hold;
    if (hold?.when()) {
      hold.held();
      await abortable(hold.released, signal);
    }
    // What DrillRuntime.sleep does: advance simulated time instead of waiting.
    const drill = this.current();
    if (drill) await drill.sleep(ms, signal);
    else await this.advance(ms);
  };

  holdJobs(when: () => boolean): { held: Promise<void>; isHeld: () => boolean; release: () => void } {
    let isHeld = false;
    let onHeld: () => void = () => {};
    const held = new Promise<void>((resolve) => (onHeld = resolve));
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    this.hold = {
      when,
      held: () => {
        isHeld = true;
        onHeld();
      },
      released,
    };
    return {
      held,
      isHeld: () => isHeld,
      release: () => {
        this.hold = undefined;
        release();
      },
    };
  }
}

function abortable(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return promise;
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}

/** A fresh drill account on a manual clock at `start` (simulated time). */
export function drillRuntime(start = Date.UTC(2026, 2, 2, 0, 0, 0)): HoldableDrillRuntime {
  return new HoldableDrillRuntime({ clock: new ManualClock(start), logger: silentLogger });
}

/** A key prefix the config accepts (no colons). */
export function e2ePrefix(name: string): string {
  return testPrefix(`e2e-${name}`).replace(/:/g, '-');
}

/** "5 h 57 min", "45 s". */
export function formatDelay(ms: number | undefined): string {
  if (ms === undefined) return 'n/a';
  const s = Math.round(ms / 1000);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const parts = [d ? `${d} d` : '', h ? `${h} h` : '', m ? `${m} min` : '', sec ? `${sec} s` : ''].filter(Boolean);
  return parts.length ? parts.join(' ') : '0 s';
}

export function describeDetection(scenario: string, detection: Detection | undefined): string {
  return `${scenario}: detected ${formatDelay(detection?.afterImpactMs)} after the impact, ${formatDelay(detection?.afterCauseMs)} after the cause (alert ${detection?.alert.class ?? '?'} "${detection?.alert.name ?? '?'}")`;
}

/** Every incident id a message mentions, in order. */
export function incidentIds(message: Message): string[] {
  return [...new Set(messageText(message).match(/inc-[a-z0-9]{6}/g) ?? [])];
}

/** The run id of a `runbook start` reply ("Started runbook … as rb-…"). */
export function runIdOf(reply: Message): string {
  const id = /rb-[0-9a-f]{10}/.exec(reply.summary)?.[0];
  if (!id) throw new Error(`no run id in "${reply.summary}"`);
  return id;
}

/** The actions of a message's action blocks. */
export function actionsOf(message: Message): Action[] {
  return message.blocks.flatMap((b) => (b.type === 'actions' ? b.actions : []));
}

/** The checklist lines (one per step). */
export function stepLines(message: Message): string[] {
  return message.blocks.find((b): b is { type: 'list'; items: string[] } => b.type === 'list')?.items ?? [];
}

/** Pressing buttons on a run's checklist the way a person would. */
export interface WalkOptions {
  /** Who presses (default the terminal user) and where. */
  by?: Requester;
  where?: Conversation;
  /**
   * Called once per step before its button (Run, Done) is pressed; answer `handled` when the hook
   * moved the step itself (pressed, skipped), so the walk looks again instead of pressing.
   */
  before?: (step: string, action: Action) => Promise<'handled' | void>;
  /** Stop (and answer the checklist) as soon as this holds, checked between polls. */
  stopWhen?: () => boolean;
  timeoutMs?: number;
}

/**
 * Walks a run to its end through `runbook status <run>` and the buttons it shows: Run (or Done),
 * then Confirm on the prompt a `confirm: true` step answers with; waits while a step's job runs.
 * Fails on a failed step or an approval (approvals are pressed by the test itself).
 */
export async function walk(lb: LifeboatProcess, runId: string, options: WalkOptions = {}): Promise<Message> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const seen = new Set<string>();
  for (;;) {
    const checklist = await lb.say(`runbook status ${runId}`, options.by, options.where);
    if (/ completed: /.test(checklist.summary) || / aborted by /.test(checklist.summary)) return checklist;
    if (options.stopWhen?.()) return checklist;
    if (Date.now() > deadline) throw new Error(`run ${runId} did not finish:\n${messageText(checklist)}`);
    const action = actionsOf(checklist).find((a) => a.id !== 'runbook-abort' && a.id !== 'runbook-skip');
    if (!action) {
      // A step's job is running: only Abort is offered.
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    const step = action.value.split(':')[1] ?? '';
    if (action.label.startsWith('Retry') || action.id === 'runbook-approve') throw new Error(`run ${runId} waits at step ${step}: ${checklist.summary}`);
    if (options.before && !seen.has(step)) {
      seen.add(step);
      if ((await options.before(step, action)) === 'handled') continue;
    }
    const reply = await lb.press(action, options.by, options.where);
    const confirm = reply ? actionsOf(reply).find((a) => a.id === 'runbook-confirm') : undefined;
    if (confirm) await lb.press(confirm, options.by, options.where);
  }
}

/** The whole timeline of an incident, read from the incident store the app writes. */
export async function timelineOf(lb: LifeboatProcess, incidentId: string): Promise<TimelineEntry[]> {
  const redis = testRedis();
  try {
    const store = new RedisIncidentStore(redis, { clock: lb.clock, prefix: `${lb.config.redis.prefix}:inc`, retention: lb.config.triage.retention });
    const details = await store.get(incidentId, { timelineLimit: lb.config.triage.retention.timelineEntries });
    if (!details) throw new Error(`no incident ${incidentId}`);
    return details.timeline;
  } finally {
    redis.disconnect();
  }
}

/** Runs a typed job command (e.g. `drill fix rerun-release`) and waits until its job has finished. */
export async function runJob(lb: LifeboatProcess, text: string, who: Requester = newcomer, where: Conversation = terminal): Promise<Message> {
  let reply = await lb.say(text, who, where);
  const confirm = actionsOf(reply).find((a) => a.id === 'confirm');
  if (confirm) reply = (await lb.press(confirm, who, where)) ?? reply;
  const jobId = /job ([^\s)]+#[a-z0-9]+)/i.exec(messageText(reply))?.[1];
  if (!jobId) throw new Error(`"${text}" started no job: ${messageText(reply)}`);
  const state = await lb.app.dispatcher?.waitUntilFinished(jobId, { timeoutMs: 15_000 });
  if (state !== 'completed') throw new Error(`"${text}" ended ${state ?? 'unknown'}`);
  return reply;
}

export { join, messageText, until };

/**
 * One drill account and one Redis prefix that several Lifeboat processes share, as restarts of
 * the same installation; every process started is stopped after each test. The spies count the
 * mutations the drill account received, so a test can show a restart repeated none.
 */
export function lifeboatLab(name: string) {
  const running: LifeboatProcess[] = [];
  afterEach(async () => {
    for (const lb of running.splice(0)) await lb.stop();
  });
  return {
    async setUp() {
      const definitions = await shippedDefinitions();
      const runtime = drillRuntime();
      const prefix = e2ePrefix(name);
      const launch = async (): Promise<LifeboatProcess> => {
        const lb = await startLifeboat({ prefix, runtime, ...definitions });
        running.push(lb);
        return lb;
      };
      return {
        runtime,
        launch,
        startBuild: vi.spyOn(runtime.ports.codebuild, 'startBuild'),
        updateService: vi.spyOn(runtime.ports.ecs, 'updateService'),
        restoreFromArchive: vi.spyOn(runtime.ports.restore, 'restoreFromArchive'),
        copyImage: vi.spyOn(runtime.ports.restore, 'copyImage'),
      };
    },
  };
}
