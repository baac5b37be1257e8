// `npm run faults`: the fault suite of issue 6 on real Dovecot, Redis, SQLite/PostgreSQL and an
// SMTP sink, the service running as real processes. Prints the figures table and exits 1 if any
// message was lost or doubled, any reply missing or doubled, anything left stuck, or the service
// crashed or did not recover by itself.
//   node --import tsx scripts/faults.ts [--messages N] [--scenarios a,b] [--ci]
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatTable, rowPassed, runScenario, type ScenarioRow } from './faults/run.js';
import { SCENARIOS } from './faults/scenarios.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '200' },
    scenarios: { type: 'string' },
    ci: { type: 'boolean', default: false },
  },
});
const messages = Number(values.messages);
const wanted = values.scenarios
  ?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const unknown = wanted?.filter((w) => !SCENARIOS.some((s) => s.name === w)) ?? [];
if (!Number.isInteger(messages) || messages < 3 || unknown.length > 0) {
  process.stderr.write(
    `usage: faults [--messages N≥3] [--scenarios ${SCENARIOS.map((s) => s.name).join(',')}] [--ci]\n`,
  );
  process.exit(2);
}
const logDir = await mkdtemp(path.join(os.tmpdir(), 'intake-faults-logs-'));
process.stderr.write(`service logs: ${logDir}\n`);
const rows: ScenarioRow[] = [];
for (const scenario of SCENARIOS.filter((s) => !wanted || wanted.includes(s.name))) {
  const started = Date.now();
  const row = await runScenario(scenario, {
    messages,
    ci: values.ci ?? false,
    logDir,
    progress: (line) => process.stderr.write(`… ${line}\n`),
  });
  rows.push(row);
  const secs = Math.round((Date.now() - started) / 1000);
  process.stderr.write(
    `${rowPassed(row) ? 'ok  ' : 'FAIL'} ${scenario.name} (${secs} s) ${row.skipped ?? row.note}\n`,
  );
  for (const p of row.problems) process.stderr.write(`     ${p}\n`);
}
process.stdout.write(`${formatTable(rows)}\n`);
process.exitCode = rows.every(rowPassed) ? 0 : 1;
