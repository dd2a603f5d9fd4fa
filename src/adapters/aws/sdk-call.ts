/** Shared plumbing for the SDK adapters: error mapping around a call, and value conversions. */
import { mapAwsError, type AwsCallContext } from './errors.js';

/** Run one SDK call; any failure leaves as a `LifeboatError`. */
export async function awsCall<T>(ctx: AwsCallContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw mapAwsError(err, ctx);
  }
}

/**
 * Epoch milliseconds from an SDK timestamp. The SDK deserialises to `Date`; tests that feed
 * corpus payloads straight into a mocked client may hand over epoch seconds or ISO strings.
 */
export function toEpochMs(value: Date | string | number): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value < 1e12 ? Math.round(value * 1000) : value;
  return Date.parse(value);
}

/** The last path segment of an ARN, or the name as given. */
export function lastSegment(arnOrName: string): string {
  const slash = arnOrName.lastIndexOf('/');
  return slash >= 0 ? arnOrName.slice(slash + 1) : arnOrName;
}
