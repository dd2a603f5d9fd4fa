/**
 * What a drill scenario is: a setup of the simulated account, a timeline of faults, what counts as
 * Lifeboat detecting the incident, and the health check that says the account is recovered.
 */
import type { Alert } from '../../intake/alert.js';
import type { DrillAccount } from './account.js';

/** One fault of the timeline. */
export interface ScenarioFault {
  /** Simulated time (ms since the epoch) it happens or is due. */
  at: number;
  /**
   * `cause`: the thing that breaks (an image expires) — often silent; `impact`: the moment users
   * or the scheduler feel it (a replacement task cannot start).
   */
  kind: 'cause' | 'impact';
  description: string;
}

/** One check of `healthy()`. */
export interface HealthCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/** The verdict of `healthy()`. */
export interface HealthReport {
  healthy: boolean;
  checks: HealthCheck[];
}

/** A fix a person applies outside Lifeboat (in their infrastructure code): `drill fix <id>`. */
export interface Remedy {
  id: string;
  description: string;
  apply(account: DrillAccount): void;
}

/** What the recovery commands need configured for this drill (`recovery:` in lifeboat.yaml). */
export interface ScenarioRecoverySettings {
  scale?: {
    queues: Record<string, { perTaskRatePerMinute: number; drainMinutes: number; maxTasks: number; scaleBackBelow: number; timeoutMinutes: number; pollSeconds: number }>;
  };
}

/** What a scenario's setup returns. */
export interface ScenarioSetup {
  faults: ScenarioFault[];
}

/** A drill scenario. */
export interface DrillScenario {
  id: string;
  title: string;
  /** The incident behind it, in two or three sentences. */
  story: string;
  /** What to do, as a newcomer following Lifeboat: the commands and what they should show. */
  walkthrough: string[];
  /** The runbook Lifeboat should suggest for the incident. */
  runbook: string;
  /** Build the account as it is at `start`, and schedule the faults. */
  setup(account: DrillAccount, start: number): ScenarioSetup;
  /** Does this alert mean Lifeboat has detected the incident? */
  detects(alert: Alert): boolean;
  /** Is the account recovered (services steady, backlog drained, workers scaled back)? */
  healthy(account: DrillAccount): HealthReport;
  remedies?: Remedy[];
  recovery?: ScenarioRecoverySettings;
  /** ECS emits every n-th failed-start event twice in this scenario. */
  duplicateTaskEventsEvery?: number;
}
