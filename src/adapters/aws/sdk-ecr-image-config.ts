/**
 * `ImageConfigReader` on the AWS SDK v3 ECR client: an image's configuration blob (platform and
 * labels, e.g. `org.opencontainers.image.revision`). ECR serves blobs through a short-lived
 * presigned URL (`GetDownloadUrlForLayer`, which works for the config blob too), fetched here.
 * `fetch` is passed in like the client, so nothing reaches the network unnoticed in tests.
 */
import { BatchGetImageCommand, GetDownloadUrlForLayerCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { LifeboatError } from '../../core/errors.js';
import { partitionOf } from '../../images/image-reference.js';
import { ACCEPTED_MANIFEST_TYPES } from '../../images/oci-index.js';
import type { ImageConfig, ImageConfigReader } from '../../recovery/ports.js';
import { isObject, parseObject } from './json-object.js';
import { opsCall, type OpsCallContext } from './ops-call.js';

/** Options of `SdkEcrImageConfigReader`. */
export interface SdkEcrImageConfigReaderOptions {
  region: string;
  /** `globalThis.fetch` in production. */
  fetch: typeof fetch;
  /** Per download. Default 10 s. */
  timeoutMs?: number;
  /** Config blobs are small; refuse anything larger. Default 1 MiB. */
  maxBytes?: number;
}

/** Every operation `SdkEcrImageConfigReader` can send, as IAM actions. */
export const SDK_ECR_IMAGE_CONFIG_ACTIONS = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'] as const;

/** `ImageConfigReader` on `ECRClient`; failures leave as `LifeboatError`. */
export class SdkEcrImageConfigReader implements ImageConfigReader {
  constructor(
    private readonly client: ECRClient,
    private readonly options: SdkEcrImageConfigReaderOptions,
  ) {}

  async imageConfig(registryId: string, repository: string, manifestDigest: string): Promise<ImageConfig | undefined> {
    const got = await opsCall(this.ctx('ecr:BatchGetImage', registryId, repository), () =>
      this.client.send(
        new BatchGetImageCommand({ registryId, repositoryName: repository, imageIds: [{ imageDigest: manifestDigest }], acceptedMediaTypes: [...ACCEPTED_MANIFEST_TYPES] }),
      ),
    );
    const body = got.images?.[0]?.imageManifest;
    if (body === undefined) return undefined;
    const manifest = parseObject(body);
    const config = manifest?.config;
    // An index (no config) or something unreadable: not a single-platform image.
    if (!isObject(config) || typeof config.digest !== 'string') return undefined;
    const annotations = stringRecord(manifest?.annotations);

    const layerDigest = config.digest;
    const url = await opsCall(this.ctx('ecr:GetDownloadUrlForLayer', registryId, repository), () =>
      this.client.send(new GetDownloadUrlForLayerCommand({ registryId, repositoryName: repository, layerDigest })),
    );
    if (!url.downloadUrl) return undefined;
    const blob = await this.download(url.downloadUrl, repository);
    const json = parseObject(blob);
    if (!json) return { labels: {}, annotations };
    const inner = isObject(json.config) ? json.config : {};
    return {
      ...(typeof json.os === 'string' ? { os: json.os } : {}),
      ...(typeof json.architecture === 'string' ? { architecture: json.architecture } : {}),
      ...(typeof json.variant === 'string' ? { variant: json.variant } : {}),
      labels: stringRecord(inner.Labels),
      annotations,
    };
  }

  private async download(url: string, repository: string): Promise<string> {
    let res: Response;
    try {
      res = await this.options.fetch(url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000) });
    } catch (err) {
      throw new LifeboatError('AWS_ERROR', `Could not download an image configuration of ${repository} from ECR (${err instanceof Error ? err.message : 'network error'}); Lifeboat retries.`, { cause: err });
    }
    if (!res.ok) {
      throw new LifeboatError('AWS_ERROR', `ECR's download URL answered HTTP ${res.status} for an image configuration of ${repository}.`, { retryable: res.status >= 500 });
    }
    const text = await res.text();
    if (text.length > (this.options.maxBytes ?? 1024 * 1024)) throw new LifeboatError('AWS_ERROR', `An image configuration of ${repository} is too large to read.`, { retryable: false });
    return text;
  }

  private ctx(action: string, registryId: string, repository: string): OpsCallContext {
    const region = this.options.region;
    return {
      action,
      resource: `arn:${partitionOf(region)}:ecr:${region}:${registryId}:repository/${repository}`,
      notFound: `repository ${repository} in registry ${registryId} (${region})`,
    };
  }
}

function stringRecord(value: unknown): Record<string, string> {
  if (!isObject(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}
