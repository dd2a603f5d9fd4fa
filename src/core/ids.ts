import { randomBytes } from 'node:crypto';

/** A short random id for things people type or click (confirmations, incidents). */
export function shortId(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}
