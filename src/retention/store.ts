// Storage retention's SQL: what the sweep reads and deletes across operation events and drift reports.
// Kept apart from the aggregates' stores: their interfaces serve the service; this one only shrinks data.
import { fromJson, type SqlDatabase } from '../store/sql.ts';

export interface StoredEvent {
  seq: number;
  event: unknown;
}

export interface RetentionStore {
  /** Succeeded drift checks with a clean report, finished before `before`, whose events are not compacted. */
  cleanDriftChecksToCompact(before: string, limit: number): Promise<string[]>;
  listEvents(operationId: string): Promise<StoredEvent[]>;
  /** Deletes the operation's events except `keep` and marks it compacted, in one transaction. */
  compactEvents(operationId: string, keep: readonly number[]): Promise<number>;
  /** Deletes the events of operations that finished before `before`; returns how many. */
  deleteEventsFinishedBefore(before: string): Promise<number>;
  /** Deletes drift reports checked before `before`, except each account's latest; returns how many. */
  deleteReportsCheckedBefore(before: string): Promise<number>;
}

export class SqlRetentionStore implements RetentionStore {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  async cleanDriftChecksToCompact(before: string, limit: number): Promise<string[]> {
    const rows = await this.#db.all<{ id: string }>(
      `SELECT o.id FROM operations o
       WHERE o.kind = 'refresh-preview' AND o.state = 'succeeded' AND o.events_compacted = 0
         AND o.finished_at < ?
         AND EXISTS (SELECT 1 FROM drift_reports d WHERE d.operation_id = o.id AND d.clean = 1)
       ORDER BY o.seq LIMIT ?`,
      [before, limit],
    );
    return rows.map((r) => String(r.id));
  }

  async listEvents(operationId: string): Promise<StoredEvent[]> {
    const rows = await this.#db.all(
      'SELECT seq, event FROM operation_events WHERE operation_id = ? ORDER BY seq',
      [operationId],
    );
    return rows.map((r) => ({ seq: Number(r['seq']), event: fromJson(r['event']) }));
  }

  compactEvents(operationId: string, keep: readonly number[]): Promise<number> {
    return this.#db.transaction(async (tx) => {
      const kept = keep.length ? ` AND seq NOT IN (${keep.map(() => '?').join(', ')})` : '';
      const { changes } = await tx.run(`DELETE FROM operation_events WHERE operation_id = ?${kept}`, [
        operationId,
        ...keep,
      ]);
      await tx.run('UPDATE operations SET events_compacted = 1 WHERE id = ?', [operationId]);
      return changes;
    });
  }

  async deleteEventsFinishedBefore(before: string): Promise<number> {
    // The event counters stay: an operation's numbers never restart.
    const { changes } = await this.#db.run(
      `DELETE FROM operation_events WHERE operation_id IN
         (SELECT id FROM operations WHERE finished_at IS NOT NULL AND finished_at < ?)`,
      [before],
    );
    return changes;
  }

  async deleteReportsCheckedBefore(before: string): Promise<number> {
    const { changes } = await this.#db.run(
      `DELETE FROM drift_reports WHERE checked_at < ?
         AND seq < (SELECT MAX(x.seq) FROM drift_reports x WHERE x.account_id = drift_reports.account_id)`,
      [before],
    );
    return changes;
  }
}
