import { describe, expect, it } from 'vitest';
import { renderScanReport } from '../../../src/images/render.js';
import type { ScanNote, ScanReport } from '../../../src/images/report.js';

function healthy(notes?: ScanNote[]): ScanReport {
  return {
    version: 1,
    startedAt: '2026-01-31T12:00:00.000Z',
    finishedAt: '2026-01-31T12:00:01.000Z',
    scope: {},
    totals: { services: 1, images: 1, available: 1, missing: 0, atRisk: 0, unknown: 0, unchecked: 0 },
    services: [{ account: '123456789012', region: 'us-east-1', cluster: 'prod', service: 'web', desiredCount: 1, runningCount: 1, status: 'ok', findings: [] }],
    images: [],
    repositories: [],
    traps: [],
    problems: [],
    calls: {},
    ...(notes ? { notes } : {}),
  };
}

const preview: ScanNote = { kind: 'lifecycle-preview', repository: 'web', services: ['prod/web'], sentence: "repo web: ECR's lifecycle preview acts now on 1 image Lifeboat's evaluation keeps." };
const untagged: ScanNote = { kind: 'registry-children-untagged', repository: 'ghcr.io/org/app', services: ['prod/web'], sentence: 'ghcr.io/org/app:prod is a multi-arch image whose per-platform children are all untagged.' };

describe('scan report notes on the card', () => {
  it('lists notes under "Worth a look"; a preview disagreement alone does not change the tone', () => {
    const card = renderScanReport(healthy([preview]));
    expect(card.tone).toBe('success');
    const at = card.blocks.findIndex((b) => b.type === 'text' && b.text === 'Worth a look');
    expect(card.blocks[at + 1]).toEqual({ type: 'list', items: [preview.sentence] });
  });

  it('warns when a registry retention note is there, and renders as before without notes', () => {
    expect(renderScanReport(healthy([preview, untagged])).tone).toBe('warning');
    const plain = renderScanReport(healthy());
    expect(plain.tone).toBe('success');
    expect(plain.blocks.some((b) => b.type === 'text' && b.text === 'Worth a look')).toBe(false);
  });
});
