import { createHmac } from 'node:crypto';

/** Slack's request signature: `v0=` + hex HMAC-SHA256(secret, `v0:<ts>:<raw body>`). */
export function slackSignature(secret: string, timestamp: string | number, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`;
}

export interface SendOptions {
  secret: string;
  /** Unix seconds; default now. */
  timestamp?: number;
  contentType?: string;
  /** Sign this body but send `rawBody` (a body changed in transit). */
  signedBody?: string;
  /** Send this signature instead of the computed one. */
  signature?: string;
}

export interface SlackHttpAnswer {
  status: number;
  body: string;
  /** Milliseconds from sending to the complete response. */
  elapsedMs: number;
}

/** POSTs `rawBody` to `url` signed the way Slack signs it. */
export async function sendSigned(url: string, rawBody: string, options: SendOptions): Promise<SlackHttpAnswer> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = options.signature ?? slackSignature(options.secret, timestamp, options.signedBody ?? rawBody);
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signature,
    },
    body: rawBody,
  });
  const body = await response.text();
  return { status: response.status, body, elapsedMs: performance.now() - started };
}
