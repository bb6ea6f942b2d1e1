const BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

function labels(values: Record<string, string>): string {
  const parts = Object.entries(values).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** Prometheus text exposition, kept by hand: a few counters, one histogram, gauges read at scrape time. */
export class Metrics {
  eventsAccepted = 0;
  eventsDuplicate = 0;
  /** Events refused because the store had no room for them. */
  storeWriteErrors = 0;
  private readonly attempts = new Map<string, number>();
  private readonly latency = new Map<string, { buckets: number[]; sum: number; count: number }>();

  recordAttempt(destination: string, outcome: string, seconds: number): void {
    const key = JSON.stringify([destination, outcome]);
    this.attempts.set(key, (this.attempts.get(key) ?? 0) + 1);
    let h = this.latency.get(destination);
    if (!h) this.latency.set(destination, (h = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) h!.buckets[i]++;
    });
    h.sum += seconds;
    h.count++;
  }

  /** `deliveryStoreErrors`: store writes the delivery lanes saw refused (the dispatcher counts them). */
  render(
    gauges: Array<{ name: string; help: string; values: Array<{ labels: Record<string, string>; value: number }> }>,
    deliveryStoreErrors = 0,
  ): string {
    const out: string[] = [];
    out.push('# HELP vidhook_events_accepted_total Events this daemon accepted and durably stored.');
    out.push('# TYPE vidhook_events_accepted_total counter');
    out.push(`vidhook_events_accepted_total ${this.eventsAccepted}`);
    out.push('# HELP vidhook_events_duplicate_total Events posted to this daemon whose id was already stored.');
    out.push('# TYPE vidhook_events_duplicate_total counter');
    out.push(`vidhook_events_duplicate_total ${this.eventsDuplicate}`);
    out.push('# HELP vidhook_store_errors_total Store writes refused to this daemon (a full disk), by where they were made.');
    out.push('# TYPE vidhook_store_errors_total counter');
    out.push(`vidhook_store_errors_total${labels({ path: 'ingest' })} ${this.storeWriteErrors}`);
    out.push(`vidhook_store_errors_total${labels({ path: 'delivery' })} ${deliveryStoreErrors}`);
    out.push('# HELP vidhook_attempts_total Delivery attempts this daemon made, by destination and outcome.');
    out.push('# TYPE vidhook_attempts_total counter');
    for (const [key, value] of this.attempts) {
      const [destination, outcome] = JSON.parse(key) as [string, string];
      out.push(`vidhook_attempts_total${labels({ destination, outcome })} ${value}`);
    }
    out.push('# HELP vidhook_attempt_duration_seconds Time of one attempt this daemon made, all its requests included.');
    out.push('# TYPE vidhook_attempt_duration_seconds histogram');
    for (const [destination, h] of this.latency) {
      BUCKETS.forEach((b, i) => out.push(`vidhook_attempt_duration_seconds_bucket${labels({ destination, le: String(b) })} ${h.buckets[i]}`));
      out.push(`vidhook_attempt_duration_seconds_bucket${labels({ destination, le: '+Inf' })} ${h.count}`);
      out.push(`vidhook_attempt_duration_seconds_sum${labels({ destination })} ${h.sum}`);
      out.push(`vidhook_attempt_duration_seconds_count${labels({ destination })} ${h.count}`);
    }
    for (const gauge of gauges) {
      out.push(`# HELP ${gauge.name} ${gauge.help}`);
      out.push(`# TYPE ${gauge.name} gauge`);
      for (const v of gauge.values) out.push(`${gauge.name}${labels(v.labels)} ${v.value}`);
    }
    return `${out.join('\n')}\n`;
  }
}
