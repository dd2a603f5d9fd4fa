import { describe, expect, it } from 'vitest';
import { defaultTriageSettings, triageSettingsSchema } from '../../../src/triage/settings.js';

describe('triage settings', () => {
  it('default every field, nested sections included', () => {
    expect(defaultTriageSettings).toEqual({
      grouping: {
        rules: [
          ['account', 'region', 'cluster', 'service'],
          ['account', 'region', 'queue'],
        ],
        fallback: ['name'],
      },
      dedupWindowMinutes: 5,
      flap: { changes: 4, windowMinutes: 30 },
      stale: { ackedIdleMinutes: 60, openHours: 24 },
      autoResolve: true,
      reopenWindowMinutes: 60,
      storm: { alertsPerMinute: 60 },
      retention: { resolvedDays: 14, deliveryIdHours: 24, timelineEntries: 200 },
    });
  });

  it('fill the rest of a section that sets one field', () => {
    expect(triageSettingsSchema.parse({ stale: { openHours: 4 } }).stale).toEqual({ ackedIdleMinutes: 60, openHours: 4 });
  });

  it('reject unknown keys and nonsense values, naming the field', () => {
    const result = triageSettingsSchema.safeParse({ flap: { changes: 1 }, stale: { idleMinutes: 5 }, storm: { alertsPerMinute: -1 } });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['flap.changes', 'stale', 'storm.alertsPerMinute']));
  });
});
