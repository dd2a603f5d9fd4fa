import { describe, expect, it } from 'vitest';
import { renderScanReport } from '../../../src/images/render.js';
import type { ScanReport, ServiceReport } from '../../../src/images/report.js';

function report(overrides: Partial<ScanReport> = {}): ScanReport {
  return {
    version: 1,
    startedAt: '2026-01-31T12:00:00.000Z',
    finishedAt: '2026-01-31T12:00:02.500Z',
    scope: {},
    totals: { services: 3, images: 4, available: 2, missing: 1, atRisk: 1, unknown: 0, unchecked: 1 },
    services: [
      {
        account: '123456789012',
        region: 'us-east-1',
        cluster: 'prod',
        service: 'api',
        desiredCount: 4,
        runningCount: 4,
        status: 'missing',
        findings: [
          {
            severity: 'missing',
            container: 'app',
            deployment: 'PRIMARY',
            image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/web:v42',
            sentence: 'the next scale-out, replacement or retirement of api (4 tasks) will fail: pinned digest sha256:0123456789ab… is gone from repo web',
            next: 'redeploy prod/api',
          },
        ],
      },
      { account: '123456789012', region: 'us-east-1', cluster: 'prod', service: 'ok', desiredCount: 1, runningCount: 1, status: 'ok', findings: [] },
    ],
    images: [
      { key: 'k', image: 'nginx:1.27', registry: 'docker-hub', host: 'registry-1.docker.io', platform: 'linux/amd64', status: 'unchecked', detail: 'not configured', services: ['prod/proxy'] },
    ],
    repositories: [],
    traps: [{ kind: 'count-burst', repository: 'web', rulePriority: 2, services: ['prod/api'], sentence: 'rule 2 keeps only the newest 30 images' }],
    problems: [{ account: '222222222222', region: 'eu-west-1', scope: 'clusters', code: 'AWS_ACCESS_DENIED', message: 'Lifeboat is not allowed ecs:ListClusters.' }],
    calls: { 'ecs:ListClusters': { calls: 2, retries: 0, failures: 1 }, 'ecr:DescribeImages': { calls: 3, retries: 1, failures: 0 } },
    ...overrides,
  };
}

describe('rendering a scan report', () => {
  it('leads with the counts and tells each affected service what fails and what to run', () => {
    const message = renderScanReport(report());
    expect(message.summary).toBe('Image check of 3 services (4 images): 1 missing, 1 at risk, 1 part not readable.');
    expect(message.tone).toBe('danger');
    expect(message.blocks[1]).toEqual({
      type: 'fields',
      fields: [
        { label: 'Services', value: '3' },
        { label: 'Images', value: '4' },
        { label: 'Missing', value: '1' },
        { label: 'At risk', value: '1' },
        { label: 'Unknown', value: '0' },
        { label: 'Unchecked', value: '1' },
      ],
    });
    const texts = message.blocks.flatMap((b) => (b.type === 'text' || b.type === 'context' ? [b.text] : b.type === 'list' ? b.items : []));
    expect(texts).toContain('prod/api — missing (123456789012 us-east-1, 4/4 tasks running)');
    expect(texts).toContain(
      'app: the next scale-out, replacement or retirement of api (4 tasks) will fail: pinned digest sha256:0123456789ab… is gone from repo web. Next: redeploy prod/api',
    );
    expect(texts).toContain('repo web: rule 2 keeps only the newest 30 images');
    expect(texts).toContain('222222222222 eu-west-1, clusters: Lifeboat is not allowed ecs:ListClusters.');
    expect(texts).toContain('Unchecked images (registries Lifeboat cannot check): registry-1.docker.io');
    expect(texts.at(-1)).toBe('Read-only check: 5 API calls in 2.5 s, finished 2026-01-31T12:00:02.500Z.');
    expect(texts.join('\n')).not.toContain('prod/ok');
  });

  it('says all is well when it is', () => {
    const message = renderScanReport(
      report({ totals: { services: 2, images: 2, available: 2, missing: 0, atRisk: 0, unknown: 0, unchecked: 0 }, services: [], images: [], traps: [], problems: [] }),
    );
    expect(message.summary).toBe('Image check: every image of 2 services (2 images) is available.');
    expect(message.tone).toBe('success');
  });

  it('stays within chat limits for a large fleet and says what it left out', () => {
    const many: ServiceReport[] = Array.from({ length: 40 }, (_, i) => ({
      account: '1',
      region: 'r',
      cluster: 'c',
      service: `s${i}`,
      desiredCount: 1,
      runningCount: 1,
      status: 'missing',
      findings: [{ severity: 'missing', container: 'app', deployment: 'PRIMARY', image: 'x', sentence: 'y'.repeat(5000) }],
    }));
    const message = renderScanReport(report({ services: many }));
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    for (const block of message.blocks) {
      const texts = block.type === 'list' ? block.items : block.type === 'text' || block.type === 'context' ? [block.text] : [];
      for (const text of texts) expect(text.length).toBeLessThanOrEqual(2800);
    }
    expect(message.blocks.some((b) => b.type === 'context' && b.text.startsWith('…and 28 more affected services.'))).toBe(true);
  });
});
