/** SDK-shaped errors and corpus fixtures for the adapter tests. */
import { readFileSync } from 'node:fs';
import { ECRServiceException } from '@aws-sdk/client-ecr';
import { ECSServiceException } from '@aws-sdk/client-ecs';

/** An ECR service error as the SDK deserialises it (`name` is the AWS error code). */
export function ecrError(name: string, message: string, status = 400): ECRServiceException {
  return new ECRServiceException({ name, message, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

export function ecsError(name: string, message: string, status = 400): ECSServiceException {
  return new ECSServiceException({ name, message, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

/** A corpus payload copied to test/fixtures/aws (see SOURCES.md there). */
export function fixture<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(new URL(`../../fixtures/aws/${path}`, import.meta.url), 'utf8')) as T;
}

export function fixtureText(path: string): string {
  return readFileSync(new URL(`../../fixtures/aws/${path}`, import.meta.url), 'utf8');
}
