/**
 * The drill driver: `createDrill(scenarioId, { clock, sink, logger })` builds the simulated
 * account for a scenario, moves its time, and delivers what the account emits to the `AlertSink`
 * — parsed by the real intake parsers, exactly as production payloads would be. It knows nothing
 * of Redis, chat or jobs: the composition root wires it (see docs/drills.md).
 */
import { ManualClock } from '../../core/clock.js';
import { LifeboatError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { Alert } from '../../intake/alert.js';
import { parseEventBridgeEvent, parseSnsMessage } from '../../intake/index.js';
import type { AlertSink } from '../../intake/sink.js';
import { DrillAccount } from './account.js';
import type { DrillPayload } from './events.js';
import { drillPorts, type DrillPorts } from './port-set.js';
import type { DrillScenario, HealthReport, ScenarioFault } from './scenario.js';
import type { SimClock } from './scheduler.js';
import { findScenario, SCENARIOS } from './scenarios/index.js';

/** Options of `createDrill`. */
export interface DrillOptions {
  /** The simulated clock; in drill mode the app's clock too. Default: a `ManualClock` at 2026-01-01. */
  clock?: SimClock;
  /** Where parsed alerts go (the app's intake sink, or a recorder in tests). */
  sink: AlertSink;
  logger?: Logger;
  /** Seeds ids and digests (default: the scenario id): the same seed replays the same drill. */
  seed?: string;
  /** IAM actions Lifeboat's own role is denied (exercise error paths). */
  deny?: readonly string[];
}

/** When Lifeboat first heard of the incident. */
export interface Detection {
  /** Simulated time the detecting alert was delivered. */
  at: number;
  alert: Alert;
  /** Since the first `cause` fault (often a silent one, hours earlier). */
  afterCauseMs?: number;
  /** Since the first `impact` fault. */
  afterImpactMs?: number;
}

/** What `drill status` shows. */
export interface DrillStatus {
  scenario: { id: string; title: string; runbook: string };
  startedAt: number;
  now: number;
  faults: (ScenarioFault & { happened: boolean })[];
  detection?: Detection;
  alerts: { delivered: number; byClass: Record<string, number>; ignored: number; payloads: number };
  services: { service: string; running: number; desired: number; pending: number; deployments: number; rollout: string; impaired: boolean }[];
  queues: { queue: string; visible: number; oldestAgeSeconds: number }[];
  builds: { id: string; project: string; status: string; phase: string }[];
  health: HealthReport;
}

/** A running drill. */
export interface Drill {
  readonly scenario: DrillScenario;
  readonly account: DrillAccount;
  /** Every port Lifeboat needs, over this drill's account. */
  readonly ports: DrillPorts;
  readonly clock: SimClock;
  readonly startedAt: number;
  readonly faults: readonly ScenarioFault[];
  /** Alerts delivered to the sink so far (the newest 10,000). */
  readonly alerts: readonly Alert[];
  /** Move simulated time forward by `ms`, delivering alerts as they happen. Calls are serialised. */
  advance(ms: number): Promise<void>;
  /** Move simulated time to `at`. */
  advanceTo(at: number): Promise<void>;
  /**
   * Advance in `stepMs` steps until the scenario's detecting alert has been delivered, or `maxMs`
   * has passed (default 3 simulated days). Answers the detection, or undefined.
   */
  runUntilDetected(options?: { maxMs?: number; stepMs?: number }): Promise<Detection | undefined>;
  /**
   * A `sleep` for jobs that poll (RecoveryDeps.sleep): it *advances* simulated time by `ms`, so a
   * rollout that takes ten simulated minutes is watched in milliseconds.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  detection(): Detection | undefined;
  healthy(): HealthReport;
  status(): DrillStatus;
}

const MAX_KEPT_ALERTS = 10_000;

/** Build the account for `scenarioId` at the clock's current time and schedule its faults. */
export function createDrill(scenarioId: string, options: DrillOptions): Drill {
  const scenario = findScenario(scenarioId);
  if (!scenario) {
    throw new LifeboatError('COMMAND_ARGS_INVALID', `There is no drill scenario "${scenarioId}". Scenarios: ${SCENARIOS.map((s) => s.id).join(', ')}.`);
  }
  const clock = options.clock ?? new ManualClock();
  const logger = (options.logger ?? silentLogger).child({ drill: scenario.id });
  const account = new DrillAccount({ clock, seed: options.seed ?? scenario.id, duplicateTaskEventsEvery: scenario.duplicateTaskEventsEvery ?? 0 });
  const startedAt = clock.now();
  const { faults } = scenario.setup(account, startedAt);
  // Setup history (past pushes, running services) is not news: only what happens from now on is delivered.
  account.events.drain();
  const ports = drillPorts(() => account, options.deny ? { deny: options.deny } : {});

  const alerts: Alert[] = [];
  const byClass: Record<string, number> = {};
  let ignored = 0;
  let payloads = 0;
  let detection: Detection | undefined;
  let chain: Promise<void> = Promise.resolve();

  const deliver = async (): Promise<void> => {
    const batch = account.events.drain();
    if (batch.length === 0) return;
    const parsed: Alert[] = [];
    for (const payload of batch) {
      payloads++;
      const result = parse(payload);
      if (!result.ok) {
        // A payload the real parser refuses is a bug in the simulation, never in the user's setup.
        logger.error({ reason: result.error.reason, kind: payloadKind(payload) }, 'drill: intake refused a simulated payload');
        continue;
      }
      if (result.alerts.length === 0) ignored++;
      for (const alert of result.alerts) parsed.push(markDrill(alert, scenario.id));
    }
    if (parsed.length === 0) return;
    await options.sink.accept(parsed);
    for (const alert of parsed) {
      byClass[alert.class] = (byClass[alert.class] ?? 0) + 1;
      alerts.push(alert);
      if (!detection && scenario.detects(alert)) {
        const at = clock.now();
        detection = { at, alert };
        const cause = faults.filter((f) => f.kind === 'cause').map((f) => f.at).sort((a, b) => a - b)[0];
        const impact = faults.filter((f) => f.kind === 'impact').map((f) => f.at).sort((a, b) => a - b)[0];
        if (cause !== undefined && cause <= at) detection.afterCauseMs = at - cause;
        if (impact !== undefined && impact <= at) detection.afterImpactMs = at - impact;
        logger.info({ at: new Date(at).toISOString(), alert: alert.name, afterImpactMs: detection.afterImpactMs }, 'drill: incident detected');
      }
    }
    if (alerts.length > MAX_KEPT_ALERTS) alerts.splice(0, alerts.length - MAX_KEPT_ALERTS);
  };

  // Advances run one at a time (the ticker, job sleeps and commands all move the same clock).
  const serial = (run: () => Promise<void>): Promise<void> => {
    const next = chain.then(run);
    // A failed delivery (the sink is down) must not wedge every later advance.
    chain = next.catch(() => undefined);
    return next;
  };
  const advanceTo = (at: number): Promise<void> => serial(() => account.scheduler.advanceTo(at, deliver));

  const drill: Drill = {
    scenario,
    account,
    ports,
    clock,
    startedAt,
    faults,
    alerts,
    advance: (ms) => serial(() => account.scheduler.advanceTo(clock.now() + Math.max(0, ms), deliver)),
    advanceTo,
    async runUntilDetected(opts = {}) {
      const max = clock.now() + (opts.maxMs ?? 3 * 86_400_000);
      const step = opts.stepMs ?? 60_000;
      while (!detection && clock.now() < max) await drill.advanceTo(Math.min(max, clock.now() + step));
      return detection;
    },
    async sleep(ms, signal) {
      signal?.throwIfAborted();
      await drill.advance(ms);
      // Yield so other work (BullMQ, the sink) gets a turn, as a real sleep would give it.
      await new Promise<void>((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
    },
    detection: () => detection,
    healthy: () => scenario.healthy(account),
    status: () => statusOf(drill, { byClass, ignored, payloads, delivered: alerts.length }),
  };
  return drill;
}

function parse(payload: DrillPayload) {
  return payload.transport === 'eventbridge' ? parseEventBridgeEvent(payload.event) : parseSnsMessage(JSON.stringify(payload.body));
}

function payloadKind(payload: DrillPayload): string {
  return payload.transport === 'eventbridge' ? payload.event['detail-type'] : 'SNS notification';
}

/** Drill alerts carry `drill` labels, so every card and timeline built from them can say DRILL. */
function markDrill(alert: Alert, scenario: string): Alert {
  return { ...alert, labels: { ...alert.labels, drill: 'true', drillScenario: scenario } };
}

function statusOf(drill: Drill, counts: { byClass: Record<string, number>; ignored: number; payloads: number; delivered: number }): DrillStatus {
  const { account } = drill;
  const now = account.now();
  const status: DrillStatus = {
    scenario: { id: drill.scenario.id, title: drill.scenario.title, runbook: drill.scenario.runbook },
    startedAt: drill.startedAt,
    now,
    faults: drill.faults.map((f) => ({ ...f, happened: f.at <= now })),
    alerts: { delivered: counts.delivered, byClass: { ...counts.byClass }, ignored: counts.ignored, payloads: counts.payloads },
    services: [...account.ecs.services.values()].map((s) => ({
      service: `${s.cluster}/${s.name}`,
      running: account.ecs.runningCount(s.cluster, s.name),
      desired: s.desiredCount,
      pending: account.ecs.pendingCount(s),
      deployments: s.deployments.length,
      rollout: s.deployments[0]?.rolloutState ?? 'none',
      impaired: s.impaired,
    })),
    queues: [...account.sqs.queues.values()].map((q) => ({ queue: q.name, visible: account.sqs.visible(q.name), oldestAgeSeconds: account.sqs.oldestAgeSeconds(q.name) })),
    builds: [...account.codebuild.builds.values()].slice(-5).map((b) => ({ id: b.id, project: b.projectName, status: b.buildStatus, phase: b.currentPhase })),
    health: drill.healthy(),
  };
  const detection = drill.detection();
  if (detection) status.detection = detection;
  return status;
}
