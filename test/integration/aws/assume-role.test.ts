/** The assume-role credential provider against a mocked STS client (aws-sdk-client-mock). */
import { AssumeRoleCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createAssumeRoleProvider, sessionNameFor } from '../../../src/adapters/aws/assume-role.js';
import { ManualClock } from '../../../src/core/clock.js';
import { LifeboatError } from '../../../src/core/errors.js';

const stsMock = mockClient(STSClient);
const sts = new STSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'source', secretAccessKey: 'source' } });
const ROLE = 'arn:aws:iam::111111111111:role/lifeboat-read-only';
const HOUR = 3_600_000;

function stsError(name: string, message: string, status = 403): STSServiceException {
  return new STSServiceException({ name, message, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

/** An AssumeRole answer whose credentials expire an hour after `now`. */
function issued(now: number, key = 'ASIA1') {
  return { Credentials: { AccessKeyId: key, SecretAccessKey: 'secret', SessionToken: 'token', Expiration: new Date(now + HOUR) }, AssumedRoleUser: { Arn: `${ROLE}/x`, AssumedRoleId: 'AROA:x' } };
}

afterEach(() => stsMock.reset());

describe('assume-role credential provider', () => {
  it('assumes the role with the external id and session name, and caches until 5 minutes before expiry', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 31, 12));
    stsMock.on(AssumeRoleCommand).callsFake(() => issued(clock.now(), `ASIA${stsMock.commandCalls(AssumeRoleCommand).length}`));
    const provider = createAssumeRoleProvider({ sts, roleArn: ROLE, externalId: 'lifeboat-prod', sessionName: sessionNameFor('worker-1'), clock });

    const [a, b] = await Promise.all([provider(), provider()]);
    expect(a).toEqual({ accessKeyId: 'ASIA1', secretAccessKey: 'secret', sessionToken: 'token', expiration: new Date(clock.now() + HOUR) });
    expect(b).toBe(a);
    expect(stsMock.commandCalls(AssumeRoleCommand)[0]?.args[0].input).toEqual({
      RoleArn: ROLE,
      RoleSessionName: 'lifeboat-worker-1',
      DurationSeconds: 3600,
      ExternalId: 'lifeboat-prod',
    });

    clock.advance(HOUR - 5 * 60_000 - 1);
    expect((await provider()).accessKeyId).toBe('ASIA1');
    clock.advance(1);
    expect((await provider()).accessKeyId).toBe('ASIA2');
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('names sts:AssumeRole on the role when the trust policy refuses, and does not ask again for a minute', async () => {
    const clock = new ManualClock();
    stsMock.on(AssumeRoleCommand).rejects(stsError('AccessDenied', `User: arn:aws:sts::999999999999:assumed-role/lifeboat/i-1 is not authorized to perform: sts:AssumeRole on resource: ${ROLE}`));
    const provider = createAssumeRoleProvider({ sts, roleArn: ROLE, externalId: 'lifeboat-prod', sessionName: 'lifeboat-test', clock });

    const err = await provider().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LifeboatError);
    expect(err).toMatchObject({ code: 'AWS_ACCESS_DENIED', retryable: false });
    expect((err as LifeboatError).userMessage).toBe(
      `Lifeboat is not allowed sts:AssumeRole on ${ROLE}: the role's trust policy must trust Lifeboat's own principal and the external id configured for it ` +
        "(deploy/iam/trust-policy.json), and Lifeboat's own policy must allow sts:AssumeRole on the role.",
    );
    await expect(provider()).rejects.toBe(err);
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    clock.advance(60_000);
    await expect(provider()).rejects.toMatchObject({ code: 'AWS_ACCESS_DENIED' });
    expect(stsMock.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('keeps valid credentials through a throttled refresh and fails retryably once they expire', async () => {
    const clock = new ManualClock();
    stsMock.on(AssumeRoleCommand).resolvesOnce(issued(clock.now())).rejects(stsError('Throttling', 'Rate exceeded', 400));
    const provider = createAssumeRoleProvider({ sts, roleArn: ROLE, sessionName: 'lifeboat-test', clock });
    await provider();
    clock.advance(HOUR - 60_000);
    expect((await provider()).accessKeyId).toBe('ASIA1');
    clock.advance(60_000);
    await expect(provider()).rejects.toMatchObject({ code: 'AWS_THROTTLED', retryable: true });
    expect(stsMock.commandCalls(AssumeRoleCommand)[0]?.args[0].input.ExternalId).toBeUndefined();
  });

  it('makes a session name STS accepts from any host name', () => {
    expect(sessionNameFor('ip-10-0-1-23.eu-west-1.compute.internal')).toBe('lifeboat-ip-10-0-1-23.eu-west-1.compute.internal');
    expect(sessionNameFor('pod/with spaces:and:colons')).toBe('lifeboat-pod-with-spaces-and-colons');
    expect(sessionNameFor('x'.repeat(100))).toHaveLength(64);
  });
});
