import { afterAll, describe, expect, it } from 'vitest';
import { buildApp, type LifeboatApp } from '../../src/app.js';
import { DrillRuntime } from '../../src/adapters/drill/index.js';
import { freePort } from '../../src/adapters/redis/embedded-redis.js';
import type { Conversation, Requester } from '../../src/chat/ports.js';
import { loadConfig } from '../../src/config/load-config.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { Message } from '../../src/core/message.js';
import { loadShippedRegistry } from '../support/router.js';
import { testPrefix, testRedisUrl } from '../support/redis.js';
import { until } from '../support/wait.js';

const me: Requester = { userId: 'console', userName: 'oncall' };
const here: Conversation = { surface: 'console', channel: 'terminal' };
const actionValue = (m: Message, id: string) => m.blocks.flatMap((b) => (b.type === 'actions' ? b.actions : [])).find((a) => a.id === id)?.value;

describe('recovery commands on the incident timeline (drill account, real Redis)', () => {
  let app: LifeboatApp | undefined;
  afterAll(async () => app?.stop());

  it('notes a confirmed rebuild and its outcome on the open incident of that image', async () => {
    const loaded = loadConfig({ LIFEBOAT_PORT: String(await freePort()), LIFEBOAT_HOST: '127.0.0.1', LIFEBOAT_REDIS_PREFIX: testPrefix('rtl').replace(/:/g, '-') });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const runtime = new DrillRuntime({ clock: new ManualClock(Date.UTC(2026, 2, 2)) });
    const registry = await loadShippedRegistry(['check-images', 'rebuild', 'redeploy', 'scale']);
    app = buildApp({ config: loaded.config, redisUrl: testRedisUrl(), redisWhere: 'test', role: 'all', logger: silentLogger, clock: runtime.clock, version: 't', registry, runbooks: [], world: { kind: 'drill', runtime }, serveHttp: false });
    await app.start();
    await runtime.start('ecr-lifecycle-expiry');
    const say = (text: string) => app!.router.handleCommand({ text, requester: me, conversation: here });

    const id = await until(async () => /inc-[a-z0-9]+/.exec(JSON.stringify(await say('incidents')))?.[0], 'the incident');
    const asked = await say('rebuild api:v42 --ref v42');
    const confirm = actionValue(asked, 'confirm');
    expect(confirm).toBeDefined();
    await app.router.handleAction({ actionId: 'confirm', value: confirm!, requester: me, conversation: here });

    const timeline = await until(async () => {
      const text = JSON.stringify(await say(`incident ${id}`));
      return text.includes('rebuild api:v42 (job') ? text : undefined;
    }, 'the rebuild on the incident timeline', 20_000);
    expect(timeline).toMatch(/rebuild api:v42 \(job [^)]+\): Rebuilt api:v42/);
  });
});
