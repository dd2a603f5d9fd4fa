import type { PageResult } from '../../escalation/ports.js';

/** The slice of `fetch` the paging adapters use; `globalThis.fetch` fits, tests pass stand-ins. */
export type PagingFetch = (url: string, init: { method: 'POST'; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}>;

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** First retry delay; doubles each time, ±25 % jitter. */
  backoffMs: number;
  /** Per try. */
  timeoutMs: number;
}

export interface PagingHttp {
  fetch: PagingFetch;
  retry: RetryPolicy;
  /** Waits between tries; tests pass one that records and returns at once. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** The longest `Retry-After` honoured; a longer one is capped (the step must not stall). */
const MAX_RETRY_AFTER_MS = 30_000;

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * POSTs a JSON body, retrying timeouts, network errors, 429 and 5xx with exponential backoff
 * (honouring `Retry-After`). Other 4xx are permanent: the request itself is wrong (a bad key)
 * and repeating it cannot help. Never throws.
 */
export async function postJson(http: PagingHttp, url: string, headers: Record<string, string>, body: unknown): Promise<PageResult> {
  const text = JSON.stringify(body);
  const sleep = http.sleep ?? realSleep;
  const random = http.random ?? Math.random;
  const attempts = Math.max(1, http.retry.attempts);
  let last: { status?: number; error: string } = { error: 'not sent' };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let waitMs = http.retry.backoffMs * 2 ** (attempt - 1) * (0.75 + random() * 0.5);
    try {
      const response = await http.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'lifeboat', ...headers },
        body: text,
        signal: AbortSignal.timeout(http.retry.timeoutMs),
      });
      const answer = (await response.text().catch(() => '')).slice(0, 200).replace(/\s+/g, ' ').trim();
      if (response.status >= 200 && response.status < 300) return { ok: true, attempts: attempt, status: response.status };
      last = { status: response.status, error: `HTTP ${response.status}${answer ? `: ${answer}` : ''}` };
      const retryable = response.status === 429 || response.status === 408 || response.status >= 500;
      if (!retryable) return { ok: false, attempts: attempt, status: response.status, error: last.error, permanent: true };
      const retryAfter = retryAfterMs(response.headers.get('retry-after'));
      if (retryAfter !== undefined) waitMs = Math.min(Math.max(waitMs, retryAfter), MAX_RETRY_AFTER_MS);
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      last = { error: e.name === 'TimeoutError' || e.name === 'AbortError' ? `no answer within ${http.retry.timeoutMs} ms` : (e.cause?.code ?? e.message) };
    }
    if (attempt < attempts) await sleep(Math.round(waitMs));
  }
  return { ok: false, attempts, ...(last.status !== undefined ? { status: last.status } : {}), error: last.error, permanent: false };
}

function retryAfterMs(value: string | null): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
