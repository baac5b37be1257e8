// The fault suite of issue 6 in its shortened form (`npm run faults` is the full one): each
// scenario on fresh real servers with the service as real processes, 20 messages, shorter
// outages (SMTP down 10 s, the disk full 8 s). Whatever the fault, every message is filed once,
// answered once (robots never), nothing is left unfinished and the service recovers by itself.
// The one second copy allowed is the design's: a worker SIGKILLed between the SMTP server's 250
// and the `sent` record (verify.ts counts it as `resent`, apart from doubles).
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatTable, runScenario, type ScenarioRow } from '../../scripts/faults/run.js';
import { SCENARIOS } from '../../scripts/faults/scenarios.js';

const MESSAGES = 20;

describe('fault suite (shortened)', () => {
  const rows: ScenarioRow[] = [];
  let logDir: string | undefined;
  afterAll(() => {
    if (rows.length > 0) process.stderr.write(`${formatTable(rows)}\nservice logs: ${logDir}\n`);
  });

  for (const scenario of SCENARIOS) {
    it.skipIf(scenario.unavailable?.() !== undefined)(
      `${scenario.name} (${scenario.store}): every message filed and answered exactly once`,
      async () => {
        logDir ??= await mkdtemp(path.join(os.tmpdir(), 'intake-faults-test-'));
        const row = await runScenario(scenario, {
          messages: MESSAGES,
          ci: true,
          logDir,
          settleMs: 90_000,
        });
        rows.push(row);
        expect(row.problems).toEqual([]);
        expect({
          in: row.messagesIn,
          filed: row.filed,
          lost: row.lost,
          doubled: row.doubled,
          repliesMissing: row.repliesMissing,
          repliesDoubled: row.repliesDoubled,
          stuck: row.stuck,
          crashes: row.crashes,
          healthy: row.healthy,
        }).toEqual({
          in: MESSAGES,
          filed: MESSAGES,
          lost: 0,
          doubled: 0,
          repliesMissing: 0,
          repliesDoubled: 0,
          stuck: 0,
          crashes: 0,
          healthy: true,
        });
        expect(row.recoverSeconds).not.toBeNull();
      },
      180_000,
    );
  }
});
