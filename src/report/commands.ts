// `intake report` and `intake reprocess`: the organisers' commands. Both need only the store,
// the blobs and the contest profile — no Redis.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadContest } from '../config/contest.js';
import type { Env } from '../config/env.js';
import { createBlobStore } from '../store/blobs.js';
import { type Db, openDb } from '../store/db.js';
import { reprocessAll, reprocessCase } from '../store/reprocess.js';
import { createReprocessEvaluator } from '../web/evaluate.js';
import { casesToCsv } from './csv.js';
import { reportToHtml } from './html.js';
import { reportJson } from './json.js';
import { beijingTime } from './labels.js';
import { loadReportRows } from './rows.js';
import { reportToXlsx } from './xlsx.js';

export type ReportFormat = 'html' | 'csv' | 'xlsx' | 'json';
export const REPORT_FORMATS: ReportFormat[] = ['html', 'csv', 'xlsx', 'json'];

type Out = { write(s: string | Buffer): unknown };

async function withDb<T>(env: Env, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb(env.databaseUrl, { existing: true });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

export async function renderReport(
  db: Db,
  env: Env,
  format: ReportFormat,
): Promise<string | Buffer> {
  if (format === 'json') return reportJson(db);
  const profile = loadContest(env.contestFile);
  const rows = await loadReportRows(db, profile);
  if (format === 'csv') return casesToCsv(rows.cases);
  if (format === 'xlsx') return reportToXlsx(rows);
  return reportToHtml(rows, { contestName: profile.name, generatedAt: beijingTime(new Date()) });
}

export async function runReport(
  env: Env,
  opts: { format: string; out?: string },
  stdout: Out,
  stderr: Out,
): Promise<number> {
  const format = opts.format as ReportFormat;
  if (!REPORT_FORMATS.includes(format)) {
    stderr.write(`intake report: --format must be one of ${REPORT_FORMATS.join(', ')}\n`);
    return 2;
  }
  if (format === 'xlsx' && !opts.out) {
    stderr.write('intake report: --format xlsx needs --out FILE (a workbook is binary)\n');
    return 2;
  }
  const body = await withDb(env, (db) => renderReport(db, env, format));
  if (opts.out) {
    await writeFile(opts.out, body);
    stderr.write(`report written to ${path.resolve(opts.out)}\n`);
  } else {
    stdout.write(body);
  }
  return 0;
}

export async function runReprocess(
  env: Env,
  opts: { case?: string; all?: boolean },
  stdout: Out,
  stderr: Out,
): Promise<number> {
  if (Boolean(opts.case) === Boolean(opts.all)) {
    stderr.write('intake reprocess: give exactly one of --case ID and --all\n');
    return 2;
  }
  const profile = loadContest(env.contestFile);
  const evaluate = createReprocessEvaluator({
    blobs: createBlobStore(path.join(env.dataDir, 'blobs')),
    profile,
    ownAddresses: env.replyFrom ? [env.replyFrom] : [],
  });
  return withDb(env, async (db) => {
    let caseId: number | undefined;
    if (opts.case) {
      // A case number (2025-0007) or the numeric id shown in /cases/<id>.
      const row = await db.k
        .selectFrom('cases')
        .select('id')
        .where((eb) =>
          eb.or([
            eb('case_no', '=', opts.case as string),
            eb('id', '=', /^\d{1,9}$/.test(opts.case as string) ? Number(opts.case) : -1),
          ]),
        )
        .executeTakeFirst();
      if (!row) {
        stderr.write(`intake reprocess: no case ${opts.case}\n`);
        return 1;
      }
      caseId = row.id;
    }
    const { outcomes, failures } =
      caseId !== undefined
        ? await reprocessCase(db, evaluate, caseId, 'cli')
        : await reprocessAll(db, evaluate, 'cli', (done, total) => {
            if (done % 20 === 0) stderr.write(`… ${done}/${total}\n`);
          });
    const changed = outcomes.filter(
      (o) => o.before !== o.after || o.newlyFailed.length || o.nowPassing.length,
    );
    for (const o of changed) {
      stdout.write(
        `submission ${o.submissionId}: ${o.before} → ${o.after}${o.newlyFailed.length ? ` +${o.newlyFailed.join(',')}` : ''}${o.nowPassing.length ? ` -${o.nowPassing.join(',')}` : ''}\n`,
      );
    }
    stdout.write(`reprocessed ${outcomes.length} submission(s); ${changed.length} changed\n`);
    for (const f of failures) {
      stderr.write(`intake reprocess: submission ${f.submissionId} left as it was: ${f.error}\n`);
    }
    return failures.length > 0 ? 1 : 0;
  });
}
