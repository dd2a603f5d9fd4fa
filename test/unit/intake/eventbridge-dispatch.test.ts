import { describe, expect, it } from 'vitest';
import { parseEventBridgeEvent } from '../../../src/intake/eventbridge/dispatch.js';
import { fixture, ignoredReason, refusal } from './fixtures.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests edit events freely
type Json = Record<string, any>;
const impaired = () => fixture<Json>('ecs/ecs-service-action-task-start-impaired.json');

describe('parseEventBridgeEvent', () => {
  it('ignores a well-formed event of an unknown source instead of refusing it', () => {
    const event = { ...impaired(), source: 'aws.codebuild', 'detail-type': 'CodeBuild Build State Change' };
    expect(ignoredReason(parseEventBridgeEvent(event))).toBe('EventBridge aws.codebuild "CodeBuild Build State Change": no parser for this source and detail-type');
  });

  it('refuses JSON that is not an EventBridge event', () => {
    expect(refusal(parseEventBridgeEvent({ Records: [] }))).toMatchObject({ status: 400, code: 'UNKNOWN_SHAPE', reason: expect.stringContaining('not an EventBridge event') });
    expect(refusal(parseEventBridgeEvent('[1,2]'))).toMatchObject({ status: 400, code: 'UNKNOWN_SHAPE' });
    expect(refusal(parseEventBridgeEvent(undefined))).toMatchObject({ status: 400, code: 'INVALID_JSON' });
  });

  it('names missing envelope fields', () => {
    const event = impaired();
    delete event.id;
    delete event.account;
    const r = refusal(parseEventBridgeEvent(event));
    expect(r).toMatchObject({ status: 400, code: 'INVALID_PAYLOAD' });
    expect(r.reason).toContain('id:');
    expect(r.reason).toContain('account:');
  });

  it('names a detail that is not an object', () => {
    expect(refusal(parseEventBridgeEvent({ ...impaired(), detail: 'x' }))).toMatchObject({ status: 400, reason: expect.stringContaining('detail:') });
  });

  it('names an unreadable event time', () => {
    const event = fixture<Json>('ecr/ecr-image-action-push.json');
    event.time = 'last tuesday';
    expect(refusal(parseEventBridgeEvent(event))).toMatchObject({ status: 400, reason: 'time: not a timestamp ("last tuesday")' });
  });

  it('accepts bytes as well as strings', () => {
    const bytes = new TextEncoder().encode(JSON.stringify(impaired()));
    const result = parseEventBridgeEvent(bytes);
    expect(result.ok && result.alerts).toHaveLength(1);
  });

  it('refuses invalid JSON bytes with the parser message', () => {
    expect(refusal(parseEventBridgeEvent(Buffer.from('{"id": ')))).toMatchObject({ status: 400, code: 'INVALID_JSON', reason: expect.stringContaining('body is not valid JSON') });
  });
});
