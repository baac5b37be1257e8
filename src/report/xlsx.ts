// The report as an Excel workbook (the only importer of exceljs): a sheet with one row per
// case, filterable and frozen at the header, and a sheet of the failed findings. exceljs is
// loaded on first use: ~20 MB the dashboard's process need not carry until someone exports.
import {
  CASE_COLUMNS,
  type CaseReportRow,
  FINDING_COLUMNS,
  type FindingReportRow,
} from './rows.js';

/** The most characters an Excel cell holds (Excel's specifications and limits). */
export const XLSX_CELL_MAX = 32_767;
const CUT_NOTE = '…（以下过长已截断，全文见看板）';

/** The row with every text cut to what a cell holds, saying where it was cut. */
function cut<T extends object>(row: T): T {
  const out: Record<string, unknown> = { ...(row as Record<string, unknown>) };
  for (const [key, v] of Object.entries(out)) {
    if (typeof v !== 'string' || v.length <= XLSX_CELL_MAX) continue;
    let end = XLSX_CELL_MAX - CUT_NOTE.length;
    if (/[\uD800-\uDBFF]/.test(v.charAt(end - 1))) end--; // not half a surrogate pair
    out[key] = v.slice(0, end) + CUT_NOTE;
  }
  return out as T;
}

export async function reportToXlsx(
  rows: { cases: CaseReportRow[]; findings: FindingReportRow[] },
  baseUrl?: string,
): Promise<Buffer> {
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  wb.creator = 'case-intake';
  wb.created = new Date();
  const cases = wb.addWorksheet('案例', { views: [{ state: 'frozen', ySplit: 1 }] });
  cases.columns = CASE_COLUMNS.map((c) => ({ header: c.header, key: c.key, width: c.width }));
  for (const r of rows.cases) {
    const added = cases.addRow(cut(r));
    if (baseUrl) {
      added.getCell('caseNo').value = { text: r.caseNo, hyperlink: `${baseUrl}/cases/${r.id}` };
    }
  }
  cases.getRow(1).font = { bold: true };
  cases.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: CASE_COLUMNS.length } };

  const findings = wb.addWorksheet('问题清单', { views: [{ state: 'frozen', ySplit: 1 }] });
  findings.columns = FINDING_COLUMNS.map((c) => ({ header: c.header, key: c.key, width: c.width }));
  for (const f of rows.findings) findings.addRow(cut(f));
  findings.getRow(1).font = { bold: true };
  findings.autoFilter = {
    from: { row: 1, column: 1 },
    to: { row: 1, column: FINDING_COLUMNS.length },
  };

  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** Reads a workbook back (tests, and anyone checking an export): sheet name → rows of values. */
export async function readXlsx(data: Buffer): Promise<Record<string, unknown[][]>> {
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(data as unknown as ArrayBuffer);
  const out: Record<string, unknown[][]> = {};
  wb.eachSheet((ws) => {
    const rows: unknown[][] = [];
    ws.eachRow((row) => {
      const values = (row.values as unknown[]).slice(1);
      rows.push(
        values.map((v) =>
          v && typeof v === 'object' && 'text' in v ? (v as { text: unknown }).text : v,
        ),
      );
    });
    out[ws.name] = rows;
  });
  return out;
}
