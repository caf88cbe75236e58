import type { Registry } from 'prom-client';

/** One label value's observations: per-bucket counts (not cumulative), their sum and count. */
export interface HistogramCell {
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

interface ExposedValue {
  readonly labels: Record<string, string | number>;
  readonly value: number;
  readonly metricName: string;
}

/**
 * A histogram with one label whose observations cost a few additions: each
 * label value gets a cell once, and the request path only bumps numbers in it.
 * prom-client's own histogram builds and validates a label string on every
 * observation, about a microsecond, a noticeable share of a cached decision.
 * It is exposed through a prom-client registry like any other metric
 * (prom-client formats it), so `/metrics` stays one text.
 */
export class CellHistogram {
  private readonly cells = new Map<string, HistogramCell>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labelName: string,
    private readonly buckets: readonly number[],
    registry: Registry,
  ) {
    registry.registerMetric(this.asMetric() as never);
  }

  /** The cell of one label value; keep it, and observe into it. */
  cell(labelValue: string): HistogramCell {
    let cell = this.cells.get(labelValue);
    if (cell === undefined) {
      cell = { counts: new Float64Array(this.buckets.length + 1), sum: 0, count: 0 };
      this.cells.set(labelValue, cell);
    }
    return cell;
  }

  observe(cell: HistogramCell, value: number): void {
    const buckets = this.buckets;
    let index = 0;
    while (index < buckets.length && value > buckets[index]!) index += 1;
    cell.counts[index]! += 1;
    cell.sum += value;
    cell.count += 1;
  }

  private values(): ExposedValue[] {
    const values: ExposedValue[] = [];
    for (const [labelValue, cell] of this.cells) {
      let cumulative = 0;
      this.buckets.forEach((bound, index) => {
        cumulative += cell.counts[index]!;
        values.push({
          labels: { [this.labelName]: labelValue, le: bound },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      });
      values.push({
        labels: { [this.labelName]: labelValue, le: '+Inf' },
        value: cell.count,
        metricName: `${this.name}_bucket`,
      });
      values.push({ labels: { [this.labelName]: labelValue }, value: cell.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { [this.labelName]: labelValue }, value: cell.count, metricName: `${this.name}_count` });
    }
    return values;
  }

  /** The shape prom-client's registry reads from every metric it formats. */
  private asMetric() {
    return {
      name: this.name,
      help: this.help,
      type: 'histogram',
      aggregator: 'sum',
      get: async () => ({
        name: this.name,
        help: this.help,
        type: 'histogram',
        aggregator: 'sum',
        values: this.values(),
      }),
    };
  }
}
