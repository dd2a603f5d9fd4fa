import { bench, describe } from 'vitest';
import { loadShippedRegistry } from '../support/router.js';

// Matching runs on every slash command inside Slack's 3-second ack window; it should cost
// microseconds, not milliseconds, even as the command set grows.
const registry = await loadShippedRegistry(['check-images', 'rebuild', 'redeploy', 'scale']);
const inputs = ['check images prod/api --region eu-west-1', 'scale prod/hooks-worker for hooks-queue', 'redploy prod/api', 'help scale', 'status'];

describe('command matching', () => {
  bench('match 5 typical inputs (incl. a typo needing suggestions)', () => {
    for (const text of inputs) registry.match(text);
  });
});
