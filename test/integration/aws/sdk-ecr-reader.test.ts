import {
  BatchGetImageCommand,
  DescribeImagesCommand,
  ECRClient,
  GetLifecyclePolicyCommand,
  ImageNotFoundException,
  LifecyclePolicyNotFoundException,
  type DescribeImagesCommandOutput,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SdkEcrReader } from '../../../src/adapters/aws/sdk-ecr-reader.js';
import { ecrError, fixture, fixtureText } from './support.js';

const ecrMock = mockClient(ECRClient);
const client = new ECRClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
const reader = new SdkEcrReader(client, { region: 'us-east-1' });
const D1 = 'sha256:4a1c6567c38904384ebc64e35b7eeddd8451110c299e3368d2210066487d97e5';
const D2 = `sha256:${'b'.repeat(64)}`;
const D3 = `sha256:${'c'.repeat(64)}`;

function notFound(digest: string | null, tag: string | null): ImageNotFoundException {
  return new ImageNotFoundException({
    message: `The image with imageId {imageDigest:'${digest ?? 'null'}', imageTag:'${tag ?? 'null'}'} does not exist within the repository with name 'cluster-autoscaler' in the registry with id '012345678910'`,
    $metadata: { httpStatusCode: 400 },
  });
}

afterEach(() => ecrMock.reset());

describe('SdkEcrReader', () => {
  it('maps the corpus DescribeImages answer (epoch-second timestamps) to images', async () => {
    ecrMock.on(DescribeImagesCommand).resolves(fixture<DescribeImagesCommandOutput>('ecr/api-responses/describe-images.response.json'));
    const got = await reader.describeImages('012345678910', 'cluster-autoscaler', [{ tag: 'v1.13.6' }]);
    expect(got.failures).toEqual([]);
    expect(got.images).toEqual([
      { registryId: '012345678910', repository: 'cluster-autoscaler', digest: D1, tags: ['v1.13.6'], status: 'ACTIVE', pushedAt: 1565128275000 },
    ]);
    expect(ecrMock.commandCalls(DescribeImagesCommand)[0]?.args[0].input).toEqual({
      registryId: '012345678910',
      repositoryName: 'cluster-autoscaler',
      imageIds: [{ imageTag: 'v1.13.6' }],
      // Without it ECR answers ACTIVE images only, and an archived pinned digest would read as gone.
      filter: { imageStatus: 'ANY' },
    });
  });

  it('reads an archived image as archived, and falls back to no status filter if ECR refuses it with image ids', async () => {
    const answer = fixture<DescribeImagesCommandOutput>('ecr/api-responses/describe-images.response.json');
    const archived = { ...answer, imageDetails: answer.imageDetails?.map((d) => ({ ...d, imageStatus: 'ARCHIVED' as const })) };
    ecrMock.on(DescribeImagesCommand).resolves(archived);
    const got = await reader.describeImages('012345678910', 'cluster-autoscaler', [{ tag: 'v1.13.6' }]);
    expect(got.images[0]?.status).toBe('ARCHIVED');

    // A reader of its own, so the fallback it learns does not leak into the other tests.
    const careful = new SdkEcrReader(client, { region: 'us-east-1' });
    ecrMock.reset();
    ecrMock
      .on(DescribeImagesCommand)
      .rejectsOnce(ecrError('InvalidParameterException', 'Invalid parameter: filter cannot be used with imageIds'))
      .resolves(answer);
    expect((await careful.describeImages('012345678910', 'cluster-autoscaler', [{ tag: 'v1.13.6' }])).images.map((i) => i.digest)).toEqual([D1]);
    expect((await careful.describeImages('012345678910', 'cluster-autoscaler', [{ tag: 'v1.13.6' }])).images.map((i) => i.digest)).toEqual([D1]);
    const filters = ecrMock.commandCalls(DescribeImagesCommand).map((c) => c.args[0].input.filter);
    expect(filters).toEqual([{ imageStatus: 'ANY' }, undefined, undefined]);

    // Any other bad parameter is an error, and the filter stays on.
    const strict = new SdkEcrReader(client, { region: 'us-east-1' });
    ecrMock.reset();
    ecrMock.on(DescribeImagesCommand).rejectsOnce(ecrError('InvalidParameterException', 'Invalid parameter: imageIds must have at most 100 items')).resolves(answer);
    await expect(strict.describeImages('012345678910', 'cluster-autoscaler', [{ tag: 'v1.13.6' }])).rejects.toThrow();
    await strict.describeImages('012345678910', 'cluster-autoscaler', [{ tag: 'v1.13.6' }]);
    expect(ecrMock.commandCalls(DescribeImagesCommand).map((c) => c.args[0].input.filter)).toEqual([{ imageStatus: 'ANY' }, { imageStatus: 'ANY' }]);
  });

  it('turns the whole-call ImageNotFoundException into a per-id failure and asks again for the rest', async () => {
    ecrMock
      .on(DescribeImagesCommand)
      .rejectsOnce(notFound(D2, null))
      .resolves({ imageDetails: [{ imageDigest: D1, imageTags: ['v1'], imageStatus: 'ACTIVE' }] });
    const got = await reader.describeImages('012345678910', 'cluster-autoscaler', [{ digest: D1 }, { digest: D2 }, { tag: 'v1' }]);
    expect(got.images.map((i) => i.digest)).toEqual([D1]);
    expect(got.failures).toEqual([{ id: { digest: D2 }, code: 'ImageNotFound', reason: 'Requested image not found' }]);
    const calls = ecrMock.commandCalls(DescribeImagesCommand).map((c) => c.args[0].input.imageIds);
    expect(calls).toEqual([[{ imageDigest: D1 }, { imageDigest: D2 }, { imageTag: 'v1' }], [{ imageDigest: D1 }, { imageTag: 'v1' }]]);
  });

  it('splits the batch when the not-found message names no id it can match', async () => {
    ecrMock.on(DescribeImagesCommand).callsFake((input: { imageIds: { imageDigest?: string }[] }) => {
      if (input.imageIds.some((id) => id.imageDigest === D3)) {
        return Promise.reject(new ImageNotFoundException({ message: 'Requested image not found', $metadata: {} }));
      }
      return Promise.resolve({ imageDetails: input.imageIds.map((id) => ({ imageDigest: id.imageDigest, imageTags: [] })) });
    });
    const got = await reader.describeImages('012345678910', 'web', [{ digest: D1 }, { digest: D2 }, { digest: D3 }]);
    expect(got.images.map((i) => i.digest).sort()).toEqual([D1, D2].sort());
    expect(got.failures).toEqual([{ id: { digest: D3 }, code: 'ImageNotFound', reason: 'Requested image not found' }]);
  });

  it('names the IAM action and the repository ARN when access is denied (cross-account)', async () => {
    ecrMock
      .on(DescribeImagesCommand)
      .rejects(
        ecrError(
          'AccessDeniedException',
          'User: arn:aws:sts::123456789012:assumed-role/lifeboat/x is not authorized to perform: ecr:DescribeImages on resource: arn:aws:ecr:us-east-1:999999999999:repository/base because no resource-based policy allows the ecr:DescribeImages action',
        ),
      );
    await expect(reader.describeImages('999999999999', 'base', [{ tag: 'v1' }])).rejects.toMatchObject({
      code: 'AWS_ACCESS_DENIED',
      retryable: false,
      userMessage: "Lifeboat is not allowed ecr:DescribeImages on arn:aws:ecr:us-east-1:999999999999:repository/base; add it to Lifeboat's read-only IAM policy (deploy/iam).",
    });
  });

  it('maps throttling to a retryable error and a missing repository to AWS_NOT_FOUND naming it', async () => {
    ecrMock.on(DescribeImagesCommand).rejects(ecrError('ThrottlingException', 'Rate exceeded'));
    await expect(reader.listImages('123456789012', 'web')).rejects.toMatchObject({ code: 'AWS_THROTTLED', retryable: true });
    ecrMock.reset();
    ecrMock.on(DescribeImagesCommand).rejects(ecrError('RepositoryNotFoundException', "The repository with name 'web' does not exist"));
    await expect(reader.listImages('123456789012', 'web')).rejects.toMatchObject({
      code: 'AWS_NOT_FOUND',
      userMessage: 'Repository web in registry 123456789012 (us-east-1) does not exist.',
    });
  });

  it('lists archived images too, 1,000 a page', async () => {
    ecrMock.on(DescribeImagesCommand).resolves({
      imageDetails: [{ imageDigest: D1, imageTags: [], imageStatus: 'ARCHIVED', lastArchivedAt: new Date('2026-01-01T00:00:00Z') }],
      nextToken: 'page-2',
    });
    const page = await reader.listImages('123456789012', 'web');
    expect(page).toEqual({ items: [expect.objectContaining({ digest: D1, status: 'ARCHIVED', lastArchivedAt: Date.parse('2026-01-01T00:00:00Z') })], nextToken: 'page-2' });
    expect(ecrMock.commandCalls(DescribeImagesCommand)[0]?.args[0].input).toMatchObject({ maxResults: 1000, filter: { imageStatus: 'ANY' } });
  });

  it('fetches manifests with every manifest type accepted and maps per-image failures', async () => {
    const corpus = fixture<{ images: object[] }>('ecr/api-responses/batch-get-image.response.json');
    ecrMock.on(BatchGetImageCommand).resolves({
      images: corpus.images,
      failures: [{ imageId: { imageDigest: D2 }, failureCode: 'ImageTagDoesNotMatchDigest', failureReason: 'Invalid tag for digest' }],
    });
    const got = await reader.getManifests('012345678910', 'cluster-autoscaler', [D1, D2]);
    expect(got.manifests[0]).toMatchObject({ digest: D1 });
    expect(JSON.parse(got.manifests[0]?.body ?? '{}')).toMatchObject({ schemaVersion: 2 });
    expect(got.failures).toEqual([{ id: { digest: D2 }, code: 'ImageTagDoesNotMatchDigest', reason: 'Invalid tag for digest' }]);
    expect(ecrMock.commandCalls(BatchGetImageCommand)[0]?.args[0].input.acceptedMediaTypes).toEqual([
      'application/vnd.oci.image.index.v1+json',
      'application/vnd.docker.distribution.manifest.list.v2+json',
      'application/vnd.oci.image.manifest.v1+json',
      'application/vnd.docker.distribution.manifest.v2+json',
    ]);
  });

  it('reads a lifecycle policy, and no policy as null', async () => {
    const text = fixtureText('ecr/lifecycle-policies/01-expire-prod-tagpattern-older-than-14d.json');
    ecrMock.on(GetLifecyclePolicyCommand, { repositoryName: 'web' }).resolves({ lifecyclePolicyText: text, lastEvaluatedAt: new Date(0) });
    ecrMock.on(GetLifecyclePolicyCommand, { repositoryName: 'api' }).rejects(new LifecyclePolicyNotFoundException({ message: 'no policy', $metadata: {} }));
    expect(await reader.getLifecyclePolicy('123456789012', 'web')).toEqual({ text, lastEvaluatedAt: 0 });
    expect(await reader.getLifecyclePolicy('123456789012', 'api')).toBeNull();
  });
});
