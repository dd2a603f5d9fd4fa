/**
 * The `drill` commands (commands/drill.yaml, drill-list.yaml, drill-status.yaml) as job handlers
 * over a `DrillRuntime`. They are jobs, not builtins, on purpose: outside drill mode no handler is
 * registered and the commands answer "not available" instead of touching anything, and a long
 * `drill advance 7d` of a busy scenario runs on a worker with progress like any other job.
 *
 * Register them only in drill mode: `handlers = { ...createDrillJobHandlers(runtime), … }`.
 */
import { z } from 'zod';
import { parseDuration } from '../../commands/args.js';
import { LifeboatError } from '../../core/errors.js';
import type { JobHandler, JobHandlers } from '../../core/jobs.js';
import { textMessage } from '../../core/message.js';
import { renderAdvanced, renderDrillStart, renderDrillStatus, renderFixed, renderScenarioList } from './render.js';
import type { DrillRuntime } from './runtime.js';

/** Job kinds the drill commands run. */
export const DRILL_JOB_KINDS = { drill: 'drill', list: 'drill-list', status: 'drill-status' } as const;

/** Job data of `drill start <scenario>` / `drill advance <duration>` / `drill fix <remedy>`. */
export const drillJobData = z
  .object({
    scenario: z.string().regex(/^[a-z0-9-]{1,64}$/).optional(),
    duration: z.string().optional(),
    remedy: z.string().regex(/^[a-z0-9-]{1,64}$/).optional(),
  })
  .refine((d) => [d.scenario, d.duration, d.remedy].filter((x) => x !== undefined).length === 1, 'exactly one of scenario, duration, remedy');

/** The longest single `drill advance` (a week of simulated time). */
const MAX_ADVANCE_MS = 7 * 86_400_000;

/** The handlers of the drill job kinds over `runtime`. */
export function createDrillJobHandlers(runtime: DrillRuntime): JobHandlers {
  const drill: JobHandler = async (data, ctx) => {
    const parsed = drillJobData.safeParse(data);
    if (!parsed.success) throw new LifeboatError('COMMAND_ARGS_INVALID', 'drill: say `drill start <scenario>`, `drill advance <duration>` or `drill fix <remedy>`.');
    const { scenario, duration, remedy } = parsed.data;
    if (scenario !== undefined) {
      await ctx.progress({ ...textMessage(`Setting up the ${scenario} drill and running it until Lifeboat is alerted…`), drill: true });
      const started = await runtime.start(scenario);
      ctx.log.info({ scenario, detectedAt: started.detection?.at }, 'drill started');
      return renderDrillStart(started.drill, started.detection);
    }
    if (duration !== undefined) {
      const ms = parseDuration(duration);
      if (ms === undefined || ms <= 0) throw new LifeboatError('COMMAND_ARGS_INVALID', `drill advance: "${duration}" is not a duration such as 30m, 2h or 1d.`);
      if (ms > MAX_ADVANCE_MS) throw new LifeboatError('COMMAND_ARGS_INVALID', 'drill advance: at most 7d at a time.');
      runtime.status(); // refuses with a sentence when no drill runs
      await runtime.advance(ms);
      return renderAdvanced(runtime.status(), ms);
    }
    const applied = runtime.fix(remedy ?? '');
    const others = runtime.current()?.scenario.remedies?.filter((r) => r.id !== applied.id) ?? [];
    return renderFixed(applied, others);
  };
  return {
    [DRILL_JOB_KINDS.drill]: drill,
    [DRILL_JOB_KINDS.list]: () => Promise.resolve(renderScenarioList(runtime.scenarios())),
    // Async, so "no drill is running" is a rejected job, never a throw out of the handler call.
    [DRILL_JOB_KINDS.status]: async () => {
      await Promise.resolve();
      return renderDrillStatus(runtime.status());
    },
  };
}
