/**
 * Shared pieces for the intake transport tests: a recording sink, a recording logger, a counting
 * `fetch` that stands in for SNS, the corpus fixtures grouped by the route that receives them, and
 * a real `LifeboatHttpServer` on a free port with the intake routes mounted.
 */
import { sign } from 'node:crypto';
import { createSnsHttpDeps, type HttpFetch } from '../../../src/adapters/http/cert-fetcher.js';
import { LifeboatHttpServer } from '../../../src/adapters/http/http-server.js';
import { registerIntakeRoutes, type IntakeRouteDeps, type IntakeRoutesReport } from '../../../src/adapters/http/intake-routes.js';
import { freePort } from '../../../src/adapters/redis/embedded-redis.js';
import { ManualClock } from '../../../src/core/clock.js';
import type { Logger } from '../../../src/core/logger.js';
import { MetricsRegistry } from '../../../src/core/metrics.js';
import type { Alert } from '../../../src/intake/alert.js';
import { snsStringToSign } from '../../../src/intake/auth/sns-signature.js';
import type { ResolvedIntakeSettings } from '../../../src/intake/settings.js';
import type { AlertSink } from '../../../src/intake/sink.js';
import type { SnsEnvelope } from '../../../src/intake/sns/envelope.js';
import { fixture, fixtureFiles } from '../../unit/intake/fixtures.js';
import { makeTestCertificate, type TestCertificate } from '../../unit/intake/test-certificate.js';

export { fixture, fixtureFiles, fixtureText } from '../../unit/intake/fixtures.js';

/** Records every `accept` call; can be told to fail or to be slow. */
export class RecordingSink implements AlertSink {
  readonly batches: Alert[][] = [];
  failWith: Error | undefined;
  delayMs = 0;
  accept(alerts: readonly Alert[]): Promise<void> {
    const fail = this.failWith;
    const run = async (): Promise<void> => {
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      if (fail) throw fail;
      this.batches.push([...alerts]);
    };
    return run();
  }
  get alerts(): Alert[] {
    return this.batches.flat();
  }
  reset(): void {
    this.batches.length = 0;
    this.failWith = undefined;
    this.delayMs = 0;
  }
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  msg: string;
}

/** A logger that keeps every line (children share the list and merge their bindings). */
export function recordingLogger(lines: LogLine[] = [], bindings: Record<string, unknown> = {}): Logger & { lines: LogLine[] } {
  const at =
    (level: LogLine['level']) =>
    (obj: object | string, msg?: string): void => {
      if (typeof obj === 'string') lines.push({ level, fields: { ...bindings }, msg: obj });
      else lines.push({ level, fields: { ...bindings, ...(obj as Record<string, unknown>) }, msg: msg ?? '' });
    };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  };
}

/** The topics the SNS fixtures are published to (all allowed, except in "wrong topic" cases). */
export const SNS_TOPICS = [
  'arn:aws:sns:eu-west-1:1234567890:alerta-test',
  'arn:aws:sns:us-east-1:123456789012:chatops-alarms',
  'arn:aws:sns:us-west-2:123456789012:MyTopic',
  'arn:aws:sns:us-west-2:111122223333:ecs-events',
  'arn:aws:sns:ap-northeast-2:123456789012:ecs-alarms',
  'arn:aws:sns:eu-west-1:123456789012:ecs-alarms',
];

export const TOKENS = {
  eventbridge: ['eb-token-0123456789abcdef', 'eb-token-next-0123456789abcdef'],
  alertmanager: ['am-token-0123456789abcdef', 'am-token-next-0123456789abcdef'],
  generic: ['generic-secret-0123456789abcdef'],
};

export function testSettings(overrides: Partial<ResolvedIntakeSettings> = {}): ResolvedIntakeSettings {
  return {
    sns: { topicArns: SNS_TOPICS },
    eventbridge: { header: 'x-lifeboat-token', tokens: TOKENS.eventbridge, tokenEnv: ['LIFEBOAT_EVENTBRIDGE_TOKEN'] },
    alertmanager: { tokens: TOKENS.alertmanager, tokenEnv: ['LIFEBOAT_ALERTMANAGER_TOKEN'] },
    generic: { secrets: TOKENS.generic, secretEnv: ['LIFEBOAT_GENERIC_SECRET'], toleranceMs: 300_000 },
    ...overrides,
  };
}

/**
 * Stands in for the network SNS intake may reach: serves the test certificate for any SNS `.pem`
 * URL and a confirmation answer for SubscribeURLs, and records every request.
 */
export class FakeSnsNetwork {
  readonly requests: { url: string; init: RequestInit }[] = [];
  /** Replaces the answer for a URL kind (to simulate outages). */
  certAnswer: () => Response | Promise<Response>;
  confirmAnswer: () => Response | Promise<Response> = () => new Response('<ConfirmSubscriptionResponse/>', { status: 200 });

  constructor(readonly cert: TestCertificate) {
    this.certAnswer = () => new Response(cert.pem, { status: 200 });
  }

  readonly fetch: HttpFetch = async (url, init) => {
    this.requests.push({ url, init });
    if (url.endsWith('.pem')) return this.certAnswer();
    return this.confirmAnswer();
  };

  get certFetches(): string[] {
    return this.requests.map((r) => r.url).filter((u) => u.endsWith('.pem'));
  }
  get otherFetches(): string[] {
    return this.requests.map((r) => r.url).filter((u) => !u.endsWith('.pem'));
  }
  reset(): void {
    this.requests.length = 0;
  }
}

/** A corpus SNS envelope re-signed with the test key (SNS signs with the hash its version names). */
export function signedSns(cert: TestCertificate, file: string, version: '1' | '2' = '1', edit: (e: SnsEnvelope) => void = () => {}): SnsEnvelope {
  const envelope = fixture<SnsEnvelope>(file);
  envelope.SignatureVersion = version;
  edit(envelope);
  envelope.Signature = sign(version === '1' ? 'sha1' : 'sha256', Buffer.from(snsStringToSign(envelope)), cert.privateKey).toString('base64');
  return envelope;
}

export interface IntakeHarness {
  base: string;
  sink: RecordingSink;
  metrics: MetricsRegistry;
  clock: ManualClock;
  network: FakeSnsNetwork;
  logger: ReturnType<typeof recordingLogger>;
  report: IntakeRoutesReport;
  cert: TestCertificate;
  close(): Promise<void>;
  post(path: string, body: string | Uint8Array, headers?: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }>;
}

export interface HarnessOptions {
  settings?: ResolvedIntakeSettings;
  /** The server's own cap (Content-Length over it is refused before any route). */
  serverMaxBodyBytes?: number;
  /** The intake routes' cap. */
  maxBodyBytes?: number;
  storeTimeoutMs?: number;
  cert?: TestCertificate;
}

/** A real HTTP server on a free loopback port with the intake routes mounted. */
export async function startIntake(options: HarnessOptions = {}): Promise<IntakeHarness> {
  const cert = options.cert ?? makeTestCertificate();
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const metrics = new MetricsRegistry();
  const sink = new RecordingSink();
  const network = new FakeSnsNetwork(cert);
  const logger = recordingLogger();
  const settings = options.settings ?? testSettings();
  const port = await freePort();
  const server = new LifeboatHttpServer({
    host: '127.0.0.1',
    port,
    maxBodyBytes: options.serverMaxBodyBytes ?? 256 * 1024,
    logger,
    readiness: [],
    metrics: () => metrics.render(),
  });
  const sns = createSnsHttpDeps({ fetch: network.fetch, topicArns: settings.sns.topicArns, clock, timeoutMs: 1000 });
  const deps: IntakeRouteDeps = {
    sink,
    settings,
    snsVerifier: sns.snsVerifier,
    confirmSubscription: sns.confirmSubscription,
    metrics,
    logger,
    clock,
    maxBodyBytes: options.maxBodyBytes ?? 128 * 1024,
    ...(options.storeTimeoutMs ? { storeTimeoutMs: options.storeTimeoutMs } : {}),
  };
  const report = registerIntakeRoutes(server, deps);
  await server.listen();
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    sink,
    metrics,
    clock,
    network,
    logger,
    report,
    cert,
    close: () => server.close(),
    async post(path, body, headers = {}) {
      const res = await fetch(`${base}${path}`, { method: 'POST', body, headers });
      const text = await res.text();
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(text) as Record<string, unknown>;
      } catch {
        json = { raw: text };
      }
      return { status: res.status, json };
    },
  };
}

/** Raw CloudTrail records arrive through EventBridge; wrap them as EventBridge does. */
export function cloudTrailAsEvent(file: string): Record<string, unknown> {
  const record = fixture<Record<string, unknown>>(file);
  const service = record.eventName === 'PolicyExecutionEvent';
  return {
    version: '0',
    id: `ct-${String(record.eventID)}`,
    'detail-type': service ? 'AWS Service Event via CloudTrail' : 'AWS API Call via CloudTrail',
    source: 'aws.ecr',
    account: record.recipientAccountId ?? (record.userIdentity as { accountId?: string } | undefined)?.accountId ?? '123456789012',
    time: record.eventTime,
    region: record.awsRegion,
    resources: [],
    detail: record,
  };
}

/** Every EventBridge-shaped corpus payload, as the text a sender would post (CloudTrail records wrapped). */
export function eventBridgeCorpus(): { file: string; body: string }[] {
  const files = ['sns-cloudwatch', 'ecs', 'ecr'].flatMap(fixtureFiles).filter((f) => f !== 'ecs/cannotpull-stopped-reasons.json' && !f.includes('/sns-http-'));
  return files.map((file) => ({
    file,
    body: file.startsWith('ecr/cloudtrail-') ? JSON.stringify(cloudTrailAsEvent(file)) : JSON.stringify(fixture(file)),
  }));
}

/** Every SNS HTTP notification fixture. */
export function snsNotificationCorpus(): string[] {
  return fixtureFiles('sns-cloudwatch').filter((f) => f.includes('/sns-http-notification.'));
}

export function alertmanagerCorpus(): string[] {
  return fixtureFiles('alertmanager');
}
