// `npm run bench [-- --messages N] [--light N] [--warmup N]`: the service's cost per message
// against the floor (the validation core alone), on the same realistic submissions. Prints a
// table and, last, one JSON line. BENCH_PROFILE=DIR also writes the service's CPU profiles there.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { loadContest } from '../src/config/contest.js';
import { type FloorResult, measureFloor } from './bench/floor.js';
import { generate, RECEIVED_AT } from './bench/generate.js';
import { runPipeline, startScript } from './bench/pipeline.js';
import { percentile, stageTable, summary } from './bench/report.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '200' },
    light: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '10' },
  },
});
const count = Number(values.messages);
const lightCount = Number(values.light);
// Both sides first see these, unmeasured: a service that runs for weeks pays the JIT's warm-up
// once, so per-message costs are taken warm, on both sides alike.
const warmCount = Number(values.warmup);
const cores = os.availableParallelism();
const CONTEST_FILE = path.resolve('config/contest-2025.json');
const say = (line: string) => process.stderr.write(`${line}\n`);

const dir = await mkdtemp(path.join(os.tmpdir(), 'intake-bench-'));
try {
  say(
    `bench: generating ${warmCount} + ${count} + ${lightCount} submissions and a 30 MB case in ${dir}`,
  );
  const { messages, big } = await generate(dir, warmCount + count + lightCount);
  const warm = messages.slice(0, warmCount);
  const full = messages.slice(warmCount, warmCount + count);
  const light = messages.slice(warmCount + count);
  const mb = full.reduce((n, m) => n + m.raw.length, 0) / full.length / 1024 / 1024;
  say(`bench: average message ${mb.toFixed(1)} MB; floor (validation core, one process, serial)`);
  const profile = loadContest(CONTEST_FILE);
  const before = await measureFloor(warm, full, RECEIVED_AT, profile);
  say(
    `bench: floor ${before.cpuMsPerMsg.toFixed(0)} CPU ms/msg, verdicts ${JSON.stringify(before.verdicts)}`,
  );
  say(`bench: pipeline (intake start, concurrency ${cores})`);
  const pipe = await runPipeline({ warm, full, light, big, receivedAt: RECEIVED_AT, log: say });
  // This machine's speed drifts with its neighbours' load: the floor is taken on both sides of
  // the pipeline and averaged, so a slow or fast spell does not land on one side only.
  const after = await measureFloor([], full, RECEIVED_AT, profile);
  say(`bench: floor again ${after.cpuMsPerMsg.toFixed(0)} CPU ms/msg`);
  const flagged = await floorWithServiceFlags(dir, warm, full);
  say(`bench: floor with npm start's node flags ${flagged.cpuMsPerMsg.toFixed(0)} CPU ms/msg`);
  const both = (k: 'cpuMsPerMsg' | 'systemMsPerMsg' | 'minorFaultsPerMsg') =>
    (before[k] + after[k]) / 2;
  const floor = {
    ...before,
    cpuMsPerMsg: both('cpuMsPerMsg'),
    systemMsPerMsg: both('systemMsPerMsg'),
    minorFaultsPerMsg: both('minorFaultsPerMsg'),
    runs: [before.cpuMsPerMsg, after.cpuMsPerMsg],
  };

  const idealMsgsPerSec = (cores * 1000) / floor.cpuMsPerMsg;
  const peakRssMb = Math.max(...pipe.processes.map((p) => p.peakRssMb));
  const result = {
    messages: count,
    warmupMessages: warmCount,
    avgMessageMb: round(mb, 2),
    cores,
    floorCpuMsPerMsg: round(floor.cpuMsPerMsg),
    pipelineCpuMsPerMsg: round(pipe.cpuMsPerMsg),
    cpuRatio: round(pipe.cpuMsPerMsg / floor.cpuMsPerMsg, 3),
    floorServiceFlagsCpuMsPerMsg: round(flagged.cpuMsPerMsg),
    cpuRatioServiceFlags: round(pipe.cpuMsPerMsg / flagged.cpuMsPerMsg, 3),
    msgsPerSec: round(pipe.msgsPerSec, 3),
    idealMsgsPerSec: round(idealMsgsPerSec, 3),
    throughputRatio: round(pipe.msgsPerSec / idealMsgsPerSec, 3),
    p50LatencyMs: Math.round(percentile(pipe.latenciesMs, 50)),
    p95LatencyMs: Math.round(percentile(pipe.latenciesMs, 95)),
    lightP50LatencyMs: Math.round(percentile(pipe.lightLatenciesMs, 50)),
    lightP95LatencyMs: Math.round(percentile(pipe.lightLatenciesMs, 95)),
    bigMessageLatencyMs: pipe.bigLatencyMs,
    peakRssMb: Math.round(peakRssMb),
  };
  process.stdout.write(`${summary(result, floor, pipe)}\n${stageTable(floor, pipe)}\n`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}

/**
 * The floor in a child process started as `npm start` starts the service (its node flags and
 * allocator variables), on the same messages: the headline floor runs in this process, with
 * Node's defaults, and a flag of the service's may make the core alone cheaper too.
 */
async function floorWithServiceFlags(
  dir: string,
  warm: { raw: Buffer }[],
  full: { raw: Buffer }[],
): Promise<FloorResult> {
  const emls = path.join(dir, 'floor-child');
  await mkdir(emls);
  for (const [i, m] of [...warm, ...full].entries())
    await writeFile(path.join(emls, `${String(i).padStart(5, '0')}.eml`), m.raw);
  const { nodeArgs, env } = startScript();
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      ...nodeArgs,
      '--import',
      'tsx',
      'scripts/bench/floor-child.ts',
      emls,
      String(warm.length),
      CONTEST_FILE,
    ],
    { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 },
  );
  await rm(emls, { recursive: true, force: true });
  return JSON.parse(stdout) as FloorResult;
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
