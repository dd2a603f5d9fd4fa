/**
 * Counters and gauges for `/metrics` (Prometheus text format). Modules take the `Metrics` port;
 * the composition root owns one `MetricsRegistry`. Gauges that are expensive to keep current
 * (jobs by state) are collected at scrape time through `collect` callbacks.
 */
export type Labels = Readonly<Record<string, string>>;

export interface Metrics {
  increment(name: string, labels?: Labels, by?: number): void;
  set(name: string, labels: Labels, value: number): void;
}

export const noMetrics: Metrics = { increment: () => {}, set: () => {} };

interface Series {
  help: string;
  type: 'counter' | 'gauge';
  values: Map<string, { labels: Labels; value: number }>;
}

export class MetricsRegistry implements Metrics {
  private readonly series = new Map<string, Series>();
  private readonly collectors: (() => Promise<void>)[] = [];

  /** Declares a metric with its help text; undeclared names are declared on first use. */
  declare(name: string, type: 'counter' | 'gauge', help: string): void {
    if (!this.series.has(name)) this.series.set(name, { help, type, values: new Map() });
  }

  increment(name: string, labels: Labels = {}, by = 1): void {
    const s = this.get(name, 'counter');
    const key = labelKey(labels);
    const current = s.values.get(key);
    s.values.set(key, { labels, value: (current?.value ?? 0) + by });
  }

  set(name: string, labels: Labels, value: number): void {
    this.get(name, 'gauge').values.set(labelKey(labels), { labels, value });
  }

  /** Current value, for tests and `status`. */
  value(name: string, labels: Labels = {}): number {
    return this.series.get(name)?.values.get(labelKey(labels))?.value ?? 0;
  }

  /** Registers a callback run before each scrape to refresh gauges. */
  onCollect(collector: () => Promise<void>): void {
    this.collectors.push(collector);
  }

  async render(): Promise<string> {
    // A failing collector must not take the whole endpoint down: its gauges just go stale.
    await Promise.allSettled(this.collectors.map((c) => c()));
    const lines: string[] = [];
    for (const [name, s] of [...this.series.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`# HELP ${name} ${s.help}`, `# TYPE ${name} ${s.type}`);
      for (const { labels, value } of s.values.values()) lines.push(`${name}${formatLabels(labels)} ${value}`);
    }
    return `${lines.join('\n')}\n`;
  }

  private get(name: string, type: 'counter' | 'gauge'): Series {
    let s = this.series.get(name);
    if (!s) {
      s = { help: name, type, values: new Map() };
      this.series.set(name, s);
    }
    return s;
  }
}

function labelKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
  return `{${entries.map(([k, v]) => `${k}="${escape(v)}"`).join(',')}}`;
}
