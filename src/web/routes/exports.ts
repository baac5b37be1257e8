// Exports: the spreadsheet organisers score in, CSV for anything else, and the JSON of
// `intake report --format json` (DESIGN.md §4) for scripts.
import type { FastifyInstance } from 'fastify';
import { casesToCsv } from '../../report/csv.js';
import { reportJson } from '../../report/json.js';
import { loadReportRows } from '../../report/rows.js';
import { reportToXlsx } from '../../report/xlsx.js';
import type { WebDeps } from '../deps.js';
import { contentDisposition } from './files.js';

const stamp = () => new Date().toISOString().slice(0, 10);

export function exportRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.get('/export.xlsx', async (req, reply) => {
    const rows = await loadReportRows(deps.db, deps.profile);
    // The address the organiser reached the dashboard at (behind WEB_TRUST_PROXY's proxy, the
    // one the proxy was asked for): the file's links to case pages work where it was exported.
    const base = `${req.protocol}://${req.host}`;
    reply
      .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header(
        'Content-Disposition',
        contentDisposition('attachment', `案例校验报告-${stamp()}.xlsx`),
      );
    return reportToXlsx(rows, base);
  });

  app.get('/export.csv', async (_req, reply) => {
    const rows = await loadReportRows(deps.db, deps.profile);
    reply
      .type('text/csv; charset=utf-8')
      .header(
        'Content-Disposition',
        contentDisposition('attachment', `案例校验报告-${stamp()}.csv`),
      );
    return casesToCsv(rows.cases);
  });

  app.get('/api/cases', async (_req, reply) => {
    reply.type('application/json; charset=utf-8');
    return reportJson(deps.db);
  });
}
