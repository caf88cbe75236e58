import { Counter, type Registry } from 'prom-client';
import { type CheckAnswered, DECIDED_BY_KINDS, type DecidedByKind } from '../observe.js';
import { CellHistogram, type HistogramCell } from './cellHistogram.js';

export const PREFIX = 'iptv_auth_bridge_';

const OUTCOMES = ['allow', 'deny', 'refused'] as const;
const KINDS: readonly DecidedByKind[] = DECIDED_BY_KINDS;
const CACHE = ['hit', 'miss', 'stale', 'none'] as const;
const indexOf = (names: readonly string[]): Record<string, number> =>
  Object.fromEntries(names.map((name, i) => [name, i]));
const OUTCOME_INDEX = indexOf(OUTCOMES);
const KIND_INDEX = indexOf(KINDS);
const CACHE_INDEX = indexOf(CACHE);

/** Decision latencies from 0.1 ms (a cached answer) to the longest route budgets. */
const DURATION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** A count the request path bumps as a plain number; the registry reads it at scrape time. */
interface CountCell {
  readonly labels: Record<string, string>;
  value: number;
  reported: number;
}

/** Everything one route label's answers are counted in, found with one map lookup per check. */
interface RouteCells {
  readonly label: string;
  readonly duration: HistogramCell;
  /** Per caller protocol, one slot per (outcome, kind, cache), filled on first use. */
  readonly byProtocol: Map<string, (CountCell | undefined)[]>;
  readonly defaults: { allow?: CountCell; deny?: CountCell };
}

/** A prom-client counter whose children are plain-number cells, added to it whenever the registry is read. */
function cellCounter(registry: Registry, name: string, help: string, labelNames: readonly string[]) {
  const cells: CountCell[] = [];
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      for (const cell of cells) {
        if (cell.value === cell.reported) continue;
        this.inc(cell.labels, cell.value - cell.reported);
        cell.reported = cell.value;
      }
    },
  });
  return (labels: Record<string, string>): CountCell => {
    const cell = { labels, value: 0, reported: 0 };
    cells.push(cell);
    return cell;
  };
}

/** Totals for the status page, summed from the same cells the metrics read. */
export interface DecisionTotals {
  readonly allow: number;
  readonly deny: number;
  readonly refused: number;
  readonly defaults: number;
  readonly cache: Readonly<Record<(typeof CACHE)[number], number>>;
  readonly coalesced: number;
}

/**
 * `decisions_total`, `decision_duration_seconds`, `default_answers_total` and
 * `coalesced_total`, counted from answered checks. A cached check costs a map
 * lookup and a few additions: no label text is built or checked per request.
 * `routeLabel` keeps the label set bounded: a route name that is not
 * configured (a refused `/auth/<anything>`) is counted under one label.
 */
export function decisionMetrics(registry: Registry, routeLabel: (route: string) => string) {
  const decisions = cellCounter(
    registry,
    `${PREFIX}decisions_total`,
    'Viewer checks answered, by route, caller protocol, outcome, kind of decider and cache use',
    ['route', 'dialect', 'decision', 'by', 'cache'],
  );
  const defaults = cellCounter(
    registry,
    `${PREFIX}default_answers_total`,
    "Answers given by a route's default action because no backend could decide",
    ['route', 'action'],
  );
  const coalescedCell = cellCounter(
    registry,
    `${PREFIX}coalesced_total`,
    'Checks answered by waiting for an identical check already asking the backends',
    [],
  )({});
  const durations = new CellHistogram(
    `${PREFIX}decision_duration_seconds`,
    'Time from reading a check to its answer, by route',
    'route',
    DURATION_BUCKETS,
    registry,
  );
  /** The cells of each label, kept for good: a label's counts never start again. */
  const byLabel = new Map<string, RouteCells>();
  /** A route name's cells, as the running config labels it: forgotten at every reload. */
  const routes = new Map<string, RouteCells>();
  const all: { readonly outcome: string; readonly cache: string; readonly cell: CountCell }[] = [];
  const defaultCells: CountCell[] = [];

  function cellsOf(route: string): RouteCells {
    let cells = routes.get(route);
    if (cells === undefined) {
      const label = routeLabel(route);
      cells = byLabel.get(label);
      if (cells === undefined) {
        cells = { label, duration: durations.cell(label), byProtocol: new Map(), defaults: {} };
        byLabel.set(label, cells);
      }
      // Unconfigured names are looked up each time (their one label's cells), so they cannot grow this map.
      if (label === route) routes.set(route, cells);
    }
    return cells;
  }

  function countCell(cells: RouteCells, event: CheckAnswered): CountCell {
    let slots = cells.byProtocol.get(event.protocol);
    if (slots === undefined) {
      slots = new Array<CountCell | undefined>(OUTCOMES.length * KINDS.length * CACHE.length);
      cells.byProtocol.set(event.protocol, slots);
    }
    const slot =
      (OUTCOME_INDEX[event.outcome]! * KINDS.length + KIND_INDEX[event.by]!) * CACHE.length + CACHE_INDEX[event.cache]!;
    let cell = slots[slot];
    if (cell === undefined) {
      cell = decisions({
        route: cells.label,
        dialect: event.protocol,
        decision: event.outcome,
        by: event.by,
        cache: event.cache,
      });
      slots[slot] = cell;
      all.push({ outcome: event.outcome, cache: event.cache, cell });
    }
    return cell;
  }

  function countDefault(cells: RouteCells, action: 'allow' | 'deny'): void {
    let cell = cells.defaults[action];
    if (cell === undefined) {
      cell = defaults({ route: cells.label, action });
      cells.defaults[action] = cell;
      defaultCells.push(cell);
    }
    cell.value += 1;
  }

  return {
    checkAnswered(event: CheckAnswered): void {
      const cells = cellsOf(event.route);
      countCell(cells, event).value += 1;
      durations.observe(cells.duration, event.durationMs / 1000);
      if (event.by === 'default' && event.outcome !== 'refused') countDefault(cells, event.outcome);
      if (event.decision?.miss === 'joined') coalescedCell.value += 1;
    },
    /**
     * The routes were reloaded: a name is labelled anew at its next check, so a removed route's later checks count
     * under `(unknown)` and an added one's under its name.
     */
    routesChanged(): void {
      routes.clear();
    },
    totals(): DecisionTotals {
      const outcomes: Record<string, number> = { allow: 0, deny: 0, refused: 0 };
      const cache: Record<string, number> = { hit: 0, miss: 0, stale: 0, none: 0 };
      for (const { outcome, cache: used, cell } of all) {
        outcomes[outcome]! += cell.value;
        cache[used]! += cell.value;
      }
      const defaultAnswers = defaultCells.reduce((sum, cell) => sum + cell.value, 0);
      return {
        allow: outcomes.allow!,
        deny: outcomes.deny!,
        refused: outcomes.refused!,
        defaults: defaultAnswers,
        cache: cache as DecisionTotals['cache'],
        coalesced: coalescedCell.value,
      };
    },
  };
}
