// The drift aggregate: the stored drift reports (the DriftReport document of report.ts, kept as JSON).
import { fromJson, nextSeq, type Row, type SqlDatabase, strOrNull, whereClause } from '../store/sql.ts';
import type { DriftReport } from './schemas.ts';

export interface DriftReportRecord {
  id: string;
  /** Global insertion order; newest first in listings. */
  seq: number;
  accountId: string;
  operationId: string | null;
  checkedAt: string;
  report: DriftReport;
}

export interface DriftReportStore {
  insertDriftReport(rec: Omit<DriftReportRecord, 'seq'>): Promise<DriftReportRecord>;
  getDriftReportByOperation(operationId: string): Promise<DriftReportRecord | undefined>;
  /** The account's reports, newest first; beforeSeq for keyset pagination. */
  listDriftReports(accountId: string, q: { limit: number; beforeSeq?: number }): Promise<DriftReportRecord[]>;
  /** The latest report of every account that has one. */
  latestDriftReports(): Promise<DriftReportRecord[]>;
}

function driftReportFromRow(r: Row): DriftReportRecord {
  return {
    id: String(r['id']),
    seq: Number(r['seq']),
    accountId: String(r['account_id']),
    operationId: strOrNull(r['operation_id']),
    checkedAt: String(r['checked_at']),
    report: fromJson<DriftReport>(r['report'])!,
  };
}

export class SqlDriftReportStore implements DriftReportStore {
  readonly #db: SqlDatabase;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  insertDriftReport(rec: Omit<DriftReportRecord, 'seq'>): Promise<DriftReportRecord> {
    return this.#db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO drift_reports (id, seq, account_id, operation_id, checked_at, clean, severity, report)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          rec.id,
          await nextSeq(tx, this.#db.dialect, 'drift_reports'),
          rec.accountId,
          rec.operationId,
          rec.checkedAt,
          rec.report.clean ? 1 : 0,
          rec.report.severity,
          JSON.stringify(rec.report),
        ],
      );
      const rows = await tx.all('SELECT * FROM drift_reports WHERE id = ?', [rec.id]);
      return driftReportFromRow(rows[0]!);
    });
  }

  async getDriftReportByOperation(operationId: string): Promise<DriftReportRecord | undefined> {
    const rows = await this.#db.all(
      'SELECT * FROM drift_reports WHERE operation_id = ? ORDER BY seq DESC LIMIT 1',
      [operationId],
    );
    return rows[0] ? driftReportFromRow(rows[0]) : undefined;
  }

  async listDriftReports(
    accountId: string,
    q: { limit: number; beforeSeq?: number },
  ): Promise<DriftReportRecord[]> {
    const where = whereClause([
      ['account_id = ?', accountId],
      ['seq < ?', q.beforeSeq],
    ]);
    const rows = await this.#db.all(`SELECT * FROM drift_reports${where.sql} ORDER BY seq DESC LIMIT ?`, [
      ...where.params,
      q.limit,
    ]);
    return rows.map(driftReportFromRow);
  }

  async latestDriftReports(): Promise<DriftReportRecord[]> {
    const rows = await this.#db.all(
      `SELECT d.* FROM drift_reports d
       WHERE d.seq = (SELECT MAX(x.seq) FROM drift_reports x WHERE x.account_id = d.account_id)
       ORDER BY d.account_id`,
    );
    return rows.map(driftReportFromRow);
  }
}
