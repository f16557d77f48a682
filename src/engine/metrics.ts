/**
 * Prometheus metrics (prom-client), one registry per server. Counters are bumped on the hot paths (cheap: a
 * labelled counter increment); backlog gauges are read from the store only when /metrics is scraped.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly intake = new Counter({
    name: 'qiao_intake_records_total',
    help: 'Pushed records by outcome (accepted, duplicate, filtered, rejected)',
    labelNames: ['scheme', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly polled = new Counter({
    name: 'qiao_polled_records_total',
    help: 'Rows read by scheduled sources, by outcome (accepted, duplicate, filtered, rejected)',
    labelNames: ['scheme', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly pages = new Counter({
    name: 'qiao_source_pages_total',
    help: 'Pages read by scheduled sources',
    labelNames: ['scheme'] as const,
    registers: [this.registry],
  });
  readonly settled = new Counter({
    name: 'qiao_records_settled_total',
    help: 'Records settled by the dispatcher, by result (done, error, retry)',
    labelNames: ['scheme', 'result'] as const,
    registers: [this.registry],
  });
  readonly calls = new Counter({
    name: 'qiao_target_calls_total',
    help: 'Target API calls by outcome (ok, business_error, transient)',
    labelNames: ['connector', 'api', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly callSeconds = new Histogram({
    name: 'qiao_target_call_seconds',
    help: 'Target API call latency',
    labelNames: ['connector', 'api'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly backlog: Gauge<'scheme' | 'status'>;
  readonly breaker: Gauge<'connector'>;

  constructor(
    readBacklog: () => Promise<Array<{ scheme: string; counts: Record<string, number> }>>,
    readConnectors: () => Array<{ connector: string; breakerState: number; paused: boolean }>,
  ) {
    this.breaker = new Gauge({
      name: 'qiao_connector_breaker_state',
      help: 'Circuit breaker per target connector: 0 closed, 1 open, 2 half-open (probing), 3 paused by an operator',
      labelNames: ['connector'] as const,
      registers: [this.registry],
      collect() {
        for (const c of readConnectors()) this.set({ connector: c.connector }, c.paused ? 3 : c.breakerState);
      },
    });
    this.backlog = new Gauge({
      name: 'qiao_records',
      help: 'Records per scheme and status (pending + queued = backlog)',
      labelNames: ['scheme', 'status'] as const,
      registers: [this.registry],
      async collect() {
        for (const { scheme, counts } of await readBacklog())
          for (const [status, n] of Object.entries(counts)) this.set({ scheme, status }, n);
      },
    });
  }
}
