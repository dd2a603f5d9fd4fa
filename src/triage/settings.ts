import { z } from 'zod';

/** Target fields a grouping rule may use (the keys of `AlertTarget`). */
export const GROUPING_FIELDS = ['account', 'region', 'cluster', 'service', 'queue', 'repository', 'imageDigest', 'imageTag'] as const;
export type GroupingField = (typeof GROUPING_FIELDS)[number];

/** What an alert without a matching rule is grouped by, first available wins. */
export const GROUPING_FALLBACKS = ['senderGroupKey', 'name', 'fingerprint'] as const;
export type GroupingFallback = (typeof GROUPING_FALLBACKS)[number];

const positiveInt = z.number().int().positive();
const positive = z.number().positive();

/**
 * How alerts become incidents: the `triage:` section of `lifeboat.yaml`. Every field has a
 * default; docs/incidents.md explains each rule.
 */
export const triageSettingsSchema = z
  .object({
    grouping: z
      .object({
        /**
         * Tried in order; the first rule whose *last* field the alert's target has decides the
         * group key (earlier fields may be missing). Default: one incident per service, else per
         * queue — so a service's CloudWatch alarm, its stopped tasks and its ECS service events
         * join one incident.
         */
        rules: z
          .array(z.array(z.enum(GROUPING_FIELDS)).min(1))
          .default([
            ['account', 'region', 'cluster', 'service'],
            ['account', 'region', 'queue'],
          ]),
        /** When no rule applies: group by the first of these the alert has. Default the alert name. */
        fallback: z.array(z.enum(GROUPING_FALLBACKS)).min(1).default(['name']),
      })
      .strict()
      .prefault({}),
    /** A firing alert seen again within this many minutes while still firing only bumps a counter. */
    dedupWindowMinutes: positive.default(5),
    flap: z
      .object({
        /** This many firing ↔ resolved changes of one alert ... */
        changes: z.number().int().min(2).default(4),
        /** ... within this many minutes mark the incident flapping; notifications are held meanwhile. */
        windowMinutes: positive.default(30),
      })
      .strict()
      .prefault({}),
    stale: z
      .object({
        /** An acknowledged (or mitigated) incident nobody touched for this long is stale. */
        ackedIdleMinutes: positive.default(60),
        /** An incident open (not resolved) for this long is stale. */
        openHours: positive.default(24),
      })
      .strict()
      .prefault({}),
    /** Resolve an incident by itself when every one of its alerts has resolved. */
    autoResolve: z.boolean().default(true),
    /** A firing alert this soon after its incident resolved reopens it instead of opening a new one. */
    reopenWindowMinutes: z.number().min(0).default(60),
    storm: z
      .object({
        /** Above this many accepted alerts per minute (all processes together) outcomes say `storm: true`. */
        alertsPerMinute: positiveInt.default(60),
      })
      .strict()
      .prefault({}),
    /** Storage limits; they bound Redis memory. */
    retention: z
      .object({
        /** Resolved incidents (with their alerts and timeline) are kept this long after their last change. */
        resolvedDays: positive.default(14),
        /** Delivery ids are remembered this long; a redelivery after that is a new alert. */
        deliveryIdHours: positive.default(24),
        /** Timeline entries kept per incident (the oldest are dropped and counted). */
        timelineEntries: positiveInt.min(10).default(200),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type TriageSettings = z.output<typeof triageSettingsSchema>;

/** The defaults, for tests and for a config without a `triage:` section. */
export const defaultTriageSettings: TriageSettings = triageSettingsSchema.parse({});

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
