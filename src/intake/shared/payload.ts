import { IntakeError } from '../errors.js';

/**
 * Default body limit. SNS messages and EventBridge events are at most 256 KB; an SNS envelope adds
 * a few KB of escaping and signature, and Alertmanager groups can be larger, so 1 MiB leaves room
 * without letting one request hold much memory. Routes may pass their own limit.
 */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Accepts what a route or poller hands over — a raw body (string or bytes) or JSON it already
 * parsed — and returns the parsed JSON. Raw bodies are size-checked before parsing so an oversized
 * body is refused without building a large object graph.
 */
export function readJsonPayload(input: unknown, maxBytes = DEFAULT_MAX_BODY_BYTES): unknown {
  if (input instanceof Uint8Array) {
    if (input.byteLength > maxBytes) throw tooLarge(input.byteLength, maxBytes);
    return parseJson(Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8'), 'body');
  }
  if (typeof input === 'string') {
    // String length is a lower bound on UTF-8 bytes; only count exactly when it matters.
    const bytes = input.length > maxBytes / 3 ? Buffer.byteLength(input, 'utf8') : input.length;
    if (bytes > maxBytes) throw tooLarge(bytes, maxBytes);
    return parseJson(input, 'body');
  }
  if (input === undefined || input === null) {
    throw new IntakeError('INVALID_JSON', 'the body is empty; expected a JSON object');
  }
  return input;
}

/** Parses a JSON string found inside a payload (SNS `Message`, CloudWatch `reasonData`). */
export function parseJson(text: string, where: string): unknown {
  if (text.trim() === '') throw new IntakeError('INVALID_JSON', `${where} is empty; expected JSON`);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const detail = err instanceof SyntaxError ? `: ${err.message}` : '';
    throw new IntakeError('INVALID_JSON', `${where} is not valid JSON${detail}`, { cause: err });
  }
}

/** Is this a plain JSON object (not an array, not null)? */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tooLarge(bytes: number, maxBytes: number): IntakeError {
  return new IntakeError('TOO_LARGE', `the body is ${bytes} bytes; the limit is ${maxBytes} bytes`);
}
