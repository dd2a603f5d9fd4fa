/**
 * `DrillRuntime`: what the composition root holds in drill mode. It owns the simulated clock (which
 * should also be the app's clock, so incidents are stamped in simulated time), builds ports once —
 * they read whichever drill is running — and starts, advances and reports drills for the `drill`
 * commands. Optionally it lets simulated time flow with real time (`speed`).
 */
import { ManualClock } from '../../core/clock.js';
import { LifeboatError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/logger.js';
import type { ScanDeps } from '../../images/scan.js';
import type { AlertSink } from '../../intake/sink.js';
import { DrillAccount } from './account.js';
import { createDrill, type Detection, type Drill, type DrillStatus } from './drill.js';
import { drillPorts, drillScanDeps, type DrillPorts } from './port-set.js';
import type { DrillScenario, Remedy } from './scenario.js';
import type { SimClock } from './scheduler.js';
import { SCENARIOS } from './scenarios/index.js';

/** Options of the runtime. */
export interface DrillRuntimeOptions {
  /** The simulated clock; pass the same one to `buildApp` as its clock. Default: a ManualClock at the real now. */
  clock?: SimClock;
  /**
   * Where drill alerts go: the app's intake sink. The composition root usually builds the runtime
   * before the app (the app needs the ports) and attaches the sink afterwards (`attachSink`).
   */
  sink?: AlertSink;
  logger?: Logger;
  /**
   * Simulated milliseconds per real millisecond while the ticker runs (`startTicker`): 10 makes a
   * real minute ten simulated minutes. Default 10.
   */
  speed?: number;
  /** IAM actions Lifeboat's own role is denied in every drill. */
  deny?: readonly string[];
}

/** What `start` answers. */
export interface DrillStart {
  drill: Drill;
  detection?: Detection;
}

/** The drill side of the app. */
export class DrillRuntime {
  readonly clock: SimClock;
  /** Ports over whichever drill runs (an empty account before the first `start`). */
  readonly ports: DrillPorts;
  /** `ScanDeps` for `createCheckImagesJob` and `RecoveryDeps.images`. */
  readonly scanDeps: ScanDeps;
  private drill: Drill | undefined;
  private idle: DrillAccount;
  private generation = 0;
  private ticker: NodeJS.Timeout | undefined;
  private ticking = false;
  private readonly logger: Logger;
  private sink: AlertSink | undefined;

  constructor(private readonly options: DrillRuntimeOptions) {
    this.sink = options.sink;
    this.clock = options.clock ?? new ManualClock(Date.now());
    this.logger = (options.logger ?? silentLogger).child({ component: 'drill' });
    this.idle = new DrillAccount({ clock: this.clock, seed: 'idle' });
    this.ports = drillPorts(() => this.drill?.account ?? this.idle, options.deny ? { deny: options.deny } : {});
    this.scanDeps = drillScanDeps(this.ports, this.clock, () => this.generation);
  }

  /** Send drill alerts to `sink` from now on (the app's intake, once it is built), a running drill's too. */
  attachSink(sink: AlertSink): void {
    this.sink = sink;
  }

  /** Every scenario. */
  scenarios(): readonly DrillScenario[] {
    return SCENARIOS;
  }

  /** The running drill, if any. */
  current(): Drill | undefined {
    return this.drill;
  }

  /**
   * Start `scenario` at the current simulated time (replacing a running drill) and, by default,
   * run it until Lifeboat is alerted — so a newcomer arrives at the incident, not at a quiet account.
   */
  async start(scenario: string, options: { untilDetected?: boolean } = {}): Promise<DrillStart> {
    const sink = this.sink;
    if (!sink) throw new LifeboatError('COMMAND_NOT_AVAILABLE', 'Drills are not connected to intake in this process: start Lifeboat with `lifeboat drill <scenario>`.');
    // Through the runtime, not the sink of the moment: a sink attached later (an app rebuilt on the
    // same runtime) receives what the running drill sends from then on.
    const forward: AlertSink = { accept: (alerts) => (this.sink ?? sink).accept(alerts) };
    const drill = createDrill(scenario, {
      clock: this.clock,
      sink: forward,
      logger: this.logger,
      ...(this.options.deny ? { deny: this.options.deny } : {}),
    });
    this.generation++;
    this.drill = drill;
    this.logger.info({ scenario, at: new Date(this.clock.now()).toISOString() }, 'drill started');
    if (options.untilDetected === false) return { drill };
    const detection = await drill.runUntilDetected();
    return detection ? { drill, detection } : { drill };
  }

  /** Move simulated time forward (with or without a drill running). */
  async advance(ms: number): Promise<void> {
    if (this.drill) await this.drill.advance(ms);
    else await this.idle.scheduler.advanceTo(this.clock.now() + ms);
  }

  /**
   * `RecoveryDeps.sleep` in drill mode: advances simulated time instead of waiting, so a job that
   * polls a rollout every 15 s watches it in milliseconds of real time.
   */
  readonly sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
    signal?.throwIfAborted();
    if (this.drill) await this.drill.sleep(ms, signal);
    else {
      await this.advance(ms);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };

  /** The running drill's status; `COMMAND_NOT_AVAILABLE` when none runs. */
  status(): DrillStatus {
    return this.require().status();
  }

  /** Apply a scenario remedy (`drill fix <id>`). */
  fix(id: string): Remedy {
    const drill = this.require();
    const remedy = drill.scenario.remedies?.find((r) => r.id === id);
    if (!remedy) {
      const known = drill.scenario.remedies?.map((r) => r.id) ?? [];
      throw new LifeboatError(
        'COMMAND_ARGS_INVALID',
        known.length > 0 ? `The ${drill.scenario.id} drill has no fix "${id}". Fixes: ${known.join(', ')}.` : `The ${drill.scenario.id} drill has no fixes to apply outside Lifeboat.`,
      );
    }
    remedy.apply(drill.account);
    this.logger.info({ remedy: id }, 'drill remedy applied');
    return remedy;
  }

  /** Let simulated time flow at `speed` × real time, one tick a second. Idempotent. */
  startTicker(): void {
    if (this.ticker) return;
    const speed = this.options.speed ?? 10;
    if (speed <= 0) return;
    this.ticker = setInterval(() => {
      // A slow tick (a storm delivering thousands of alerts) is not stacked: the next one waits.
      if (this.ticking) return;
      this.ticking = true;
      this.advance(1000 * speed)
        .catch((err: unknown) => this.logger.warn({ err }, 'drill tick failed; the next tick tries again'))
        .finally(() => {
          this.ticking = false;
        });
    }, 1000);
    this.ticker.unref();
  }

  stopTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  private require(): Drill {
    if (!this.drill) {
      throw new LifeboatError('COMMAND_NOT_AVAILABLE', `No drill is running. Start one with \`drill start <scenario>\` (scenarios: ${SCENARIOS.map((s) => s.id).join(', ')}).`);
    }
    return this.drill;
  }
}
