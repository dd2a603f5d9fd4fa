/**
 * A `ScanReport` as a neutral chat `Message`: a summary card, then per affected service what is
 * missing and what to run next, then traps and the parts that could not be read. Long reports are
 * cut visibly — the full report is always available as JSON.
 */
import type { Block, Message, Tone } from '../core/message.js';
import type { ScanReport, ServiceReport } from './report.js';

/** Slack allows 50 blocks a message; keep room for the summary and the tail. */
const MAX_SERVICE_SECTIONS = 12;
const MAX_TRAPS = 5;
const MAX_PROBLEMS = 5;
const MAX_NOTES = 5;
/** Block Kit sections hold 3,000 characters; stay clear of it. */
const MAX_TEXT = 2_800;

/** The report as a neutral chat message (summary card, affected services, traps, unread parts). */
export function renderScanReport(report: ScanReport): Message {
  const t = report.totals;
  const blocks: Block[] = [
    { type: 'header', text: 'Image availability' },
    {
      type: 'fields',
      fields: [
        { label: 'Services', value: String(t.services) },
        { label: 'Images', value: String(t.images) },
        { label: 'Missing', value: String(t.missing) },
        { label: 'At risk', value: String(t.atRisk) },
        { label: 'Unknown', value: String(t.unknown) },
        { label: 'Unchecked', value: String(t.unchecked) },
      ],
    },
  ];

  const affected = report.services.filter((s) => s.status === 'missing' || s.status === 'at-risk' || s.status === 'unknown');
  if (affected.length > 0) blocks.push({ type: 'divider' });
  for (const service of affected.slice(0, MAX_SERVICE_SECTIONS)) blocks.push(...serviceBlocks(service));
  if (affected.length > MAX_SERVICE_SECTIONS) {
    blocks.push({ type: 'context', text: `…and ${affected.length - MAX_SERVICE_SECTIONS} more affected services. The JSON report lists them all.` });
  }

  if (report.traps.length > 0) {
    blocks.push({ type: 'text', text: 'Lifecycle rules to look at' });
    blocks.push({ type: 'list', items: report.traps.slice(0, MAX_TRAPS).map((trap) => clip(`repo ${trap.repository}: ${trap.sentence}`)) });
    if (report.traps.length > MAX_TRAPS) blocks.push({ type: 'context', text: `…and ${report.traps.length - MAX_TRAPS} more.` });
  }

  const notes = report.notes ?? [];
  if (notes.length > 0) {
    blocks.push({ type: 'text', text: 'Worth a look' });
    blocks.push({ type: 'list', items: notes.slice(0, MAX_NOTES).map((note) => clip(note.sentence)) });
    if (notes.length > MAX_NOTES) blocks.push({ type: 'context', text: `…and ${notes.length - MAX_NOTES} more notes in the JSON report.` });
  }

  if (report.problems.length > 0) {
    const items = report.problems.slice(0, MAX_PROBLEMS).map((p) => clip(`${p.account} ${p.region}, ${p.scope}: ${p.message}`));
    if (report.problems.length > MAX_PROBLEMS) items.push(`…and ${report.problems.length - MAX_PROBLEMS} more.`);
    blocks.push({ type: 'text', text: 'Not checked (counted as unknown)' });
    blocks.push({ type: 'list', items });
  }

  const uncheckedHosts = [...new Set(report.images.filter((i) => i.status === 'unchecked').map((i) => i.host ?? i.image))];
  if (uncheckedHosts.length > 0) {
    blocks.push({ type: 'context', text: clip(`Unchecked images (registries Lifeboat cannot check): ${uncheckedHosts.slice(0, 10).join(', ')}${uncheckedHosts.length > 10 ? ', …' : ''}`) });
  }
  const calls = Object.values(report.calls).reduce((sum, s) => sum + s.calls, 0);
  const seconds = (Date.parse(report.finishedAt) - Date.parse(report.startedAt)) / 1000;
  blocks.push({ type: 'context', text: `Read-only check: ${calls} API calls in ${seconds.toFixed(1)} s, finished ${report.finishedAt}.` });

  return { summary: summaryLine(report), tone: tone(report), blocks };
}

function serviceBlocks(service: ServiceReport): Block[] {
  const title = `${service.cluster}/${service.service} — ${service.status} (${service.account} ${service.region}, ${service.runningCount}/${service.desiredCount} tasks running)`;
  const items = service.findings
    .filter((f) => f.severity !== 'unchecked')
    .map((f) => clip(`${f.container}: ${f.sentence}${f.next ? `. Next: ${f.next}` : ''}`));
  return [{ type: 'text', text: clip(title) }, { type: 'list', items }];
}

function summaryLine(report: ScanReport): string {
  const t = report.totals;
  const scope = `${t.services} service${t.services === 1 ? '' : 's'} (${t.images} image${t.images === 1 ? '' : 's'})`;
  const parts: string[] = [];
  if (t.missing > 0) parts.push(`${t.missing} missing`);
  if (t.atRisk > 0) parts.push(`${t.atRisk} at risk`);
  if (t.unknown > 0) parts.push(`${t.unknown} unknown`);
  if (report.problems.length > 0) parts.push(`${report.problems.length} part${report.problems.length === 1 ? '' : 's'} not readable`);
  if (parts.length === 0) return `Image check: every image of ${scope} is available.`;
  return `Image check of ${scope}: ${parts.join(', ')}.`;
}

function tone(report: ScanReport): Tone {
  if (report.totals.missing > 0) return 'danger';
  // A preview disagreement is a note for whoever owns the rules, not a reason to alarm the channel.
  const retention = (report.notes ?? []).some((n) => n.kind !== 'lifecycle-preview');
  if (report.totals.atRisk > 0 || report.totals.unknown > 0 || report.problems.length > 0 || report.traps.length > 0 || retention) return 'warning';
  return 'success';
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}
