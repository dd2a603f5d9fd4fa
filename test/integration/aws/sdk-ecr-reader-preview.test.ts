/** `SdkEcrReader`'s lifecycle preview methods against corpus-shaped answers (aws-sdk-client-mock). */
import {
  ECRClient,
  GetLifecyclePolicyPreviewCommand,
  LifecyclePolicyPreviewInProgressException,
  LifecyclePolicyPreviewNotFoundException,
  StartLifecyclePolicyPreviewCommand,
  type GetLifecyclePolicyPreviewCommandOutput,
  type StartLifecyclePolicyPreviewCommandOutput,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SdkEcrReader } from '../../../src/adapters/aws/sdk-ecr-reader.js';
import { ecrError, fixture } from './support.js';

const ecrMock = mockClient(ECRClient);
const reader = new SdkEcrReader(new ECRClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }), { region: 'us-east-1' });
const D1 = `sha256:${'1'.repeat(64)}`;

afterEach(() => ecrMock.reset());

describe('SdkEcrReader lifecycle preview', () => {
  it('starts a preview of the current policy, and polls one already running instead of failing', async () => {
    ecrMock.on(StartLifecyclePolicyPreviewCommand).resolvesOnce(fixture<StartLifecyclePolicyPreviewCommandOutput>('ecr/api-responses/start-lifecycle-policy-preview.response.json'));
    expect(await reader.startLifecyclePolicyPreview('123456789012', 'project-a/amazon-ecs-sample')).toEqual({ started: true });
    expect(ecrMock.commandCalls(StartLifecyclePolicyPreviewCommand)[0]?.args[0].input).toEqual({ registryId: '123456789012', repositoryName: 'project-a/amazon-ecs-sample' });

    ecrMock.on(StartLifecyclePolicyPreviewCommand).rejects(new LifecyclePolicyPreviewInProgressException({ message: 'The previous lifecycle policy preview request has not completed.', $metadata: {} }));
    expect(await reader.startLifecyclePolicyPreview('123456789012', 'project-a/amazon-ecs-sample')).toEqual({ started: false });
  });

  it('reads the corpus COMPLETE answer, and a preview with results page by page', async () => {
    ecrMock.on(GetLifecyclePolicyPreviewCommand).resolvesOnce(fixture<GetLifecyclePolicyPreviewCommandOutput>('ecr/api-responses/get-lifecycle-policy-preview.response.empty.json'));
    const empty = await reader.getLifecyclePolicyPreview('123456789012', 'project-a/amazon-ecs-sample');
    expect(empty).toMatchObject({ status: 'COMPLETE', results: [], expiringCount: 0 });
    expect(JSON.parse(empty?.policyText ?? '{}')).toMatchObject({ rules: [{ rulePriority: 1, selection: { tagStatus: 'untagged' } }] });

    ecrMock.on(GetLifecyclePolicyPreviewCommand).resolves({
      status: 'COMPLETE',
      previewResults: [
        { imageDigest: D1, imageTags: [], imagePushedAt: new Date('2026-01-01T00:00:00Z'), action: { type: 'EXPIRE' }, appliedRulePriority: 1, storageClass: 'STANDARD' },
        { imageDigest: D1.replace(/1/g, '2'), imageTags: ['v1'], action: { type: 'TRANSITION', targetStorageClass: 'ARCHIVE' }, appliedRulePriority: 2 },
      ],
      summary: { expiringImageTotalCount: 1, transitioningImageTotalCounts: [{ targetStorageClass: 'ARCHIVE', imageTotalCount: 1 }] },
      nextToken: 'page-2',
    });
    expect(await reader.getLifecyclePolicyPreview('123456789012', 'web', 'page-1')).toEqual({
      status: 'COMPLETE',
      results: [
        { digest: D1, tags: [], pushedAt: Date.parse('2026-01-01T00:00:00Z'), action: 'expire', rulePriority: 1, storageClass: 'standard' },
        { digest: D1.replace(/1/g, '2'), tags: ['v1'], action: 'transition', rulePriority: 2 },
      ],
      expiringCount: 1,
      nextToken: 'page-2',
    });
    expect(ecrMock.commandCalls(GetLifecyclePolicyPreviewCommand)[1]?.args[0].input).toEqual({ registryId: '123456789012', repositoryName: 'web', maxResults: 100, nextToken: 'page-1' });
  });

  it('answers null when there is no preview, and names the IAM action when denied', async () => {
    ecrMock.on(GetLifecyclePolicyPreviewCommand).rejects(new LifecyclePolicyPreviewNotFoundException({ message: 'There is no dry run for this repository.', $metadata: {} }));
    expect(await reader.getLifecyclePolicyPreview('123456789012', 'web')).toBeNull();
    ecrMock.on(StartLifecyclePolicyPreviewCommand).rejects(ecrError('AccessDeniedException', 'not authorized to perform: ecr:StartLifecyclePolicyPreview'));
    await expect(reader.startLifecyclePolicyPreview('123456789012', 'web')).rejects.toMatchObject({
      code: 'AWS_ACCESS_DENIED',
      userMessage: "Lifeboat is not allowed ecr:StartLifecyclePolicyPreview on arn:aws:ecr:us-east-1:123456789012:repository/web; add it to Lifeboat's read-only IAM policy (deploy/iam).",
    });
  });
});
