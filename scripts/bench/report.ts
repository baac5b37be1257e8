// The bench's table: headline numbers with their targets, each process's CPU and peak RSS, and
// wall time per stage (from the service's own log lines: 'message stored', 'submission filed').
import type { ThreadLoop } from '../../src/evaluator.js';
import type { FloorResult } from './floor.js';
import type { LogLine, PipelineResult } from './pipeline.js';

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? 0;
}

const mean = (v: number[]) => (v.length === 0 ? 0 : v.reduce((a, b) => a + b, 0) / v.length);

interface Headline {
  [key: string]: number;
}

export function summary(r: Headline, floor: FloorResult, pipe: PipelineResult): string {
  // CPU ms a message at full load, as a share of all the machine's cores.
  const share = (msPerMsg = 0) =>
    (((r.msgsPerSec ?? 0) * msPerMsg) / (10 * (r.cores ?? 1))).toFixed(0);
  const rows: [string, string, string][] = [
    [
      'floor CPU ms / message',
      `${r.floorCpuMsPerMsg}`,
      `${floor.runs ? `mean of ${floor.runs.map((r) => r.toFixed(0)).join(' (before) and ')} (after the pipeline); ` : ''}wall ${floor.wallMsPerMsg.toFixed(0)} ms, one after another`,
    ],
    [
      'pipeline CPU ms / message',
      `${r.pipelineCpuMsPerMsg}`,
      'service process tree + private Redis',
    ],
    ['cpuRatio', `${r.cpuRatio}`, 'target <= 1.25'],
    [
      "floor with npm start's node flags",
      `${r.floorServiceFlagsCpuMsPerMsg}`,
      `in a child process, after the floor again here (${floor.runs?.[1]?.toFixed(0) ?? '-'}); cpuRatio against it ${r.cpuRatioServiceFlags}`,
    ],
    [
      'kernel CPU ms / message (floor / pipeline)',
      `${floor.systemMsPerMsg.toFixed(0)} / ${pipe.systemMsPerMsg.toFixed(0)}`,
      `minor page faults a message: ${floor.minorFaultsPerMsg.toFixed(0)} / ${pipe.minorFaultsPerMsg.toFixed(0)}`,
    ],
    [
      'machine CPU busy at full load',
      `${(pipe.machineBusy * 100).toFixed(0)} %`,
      `the service ${share(r.pipelineCpuMsPerMsg)} %, Dovecot ${share(pipe.outsideMsPerMsg.dovecot)} %, the bench ${share(pipe.outsideMsPerMsg.bench)} %, the rest other jobs`,
    ],
    ['full load: while downloading / after', ...downloadPhases(pipe)],
    [
      'messages / s',
      `${r.msgsPerSec}`,
      `ideal ${r.idealMsgsPerSec} (${r.cores} cores); ratio ${r.throughputRatio}, target >= 0.8`,
    ],
    [
      'latency p50 / p95 (full load)',
      `${r.p50LatencyMs} / ${r.p95LatencyMs} ms`,
      'APPEND -> reply at the SMTP sink',
    ],
    [
      'latency p50 / p95 (1 msg/s)',
      `${r.lightP50LatencyMs} / ${r.lightP95LatencyMs} ms`,
      'target p95 <= 5000',
    ],
    [
      'evaluation threads: event loop busy at full load',
      loopBusy(pipe),
      'running callbacks, on a core or waiting for one (CPU is in the thread table)',
    ],
    ['30 MB case latency', `${r.bigMessageLatencyMs} ms`, 'during the light load'],
    ['peak RSS', `${r.peakRssMb} MB`, 'largest VmHWM of the processes below; target <= 400'],
    [
      'service RSS: idle / full load / light load',
      `${pipe.rssMb.idle.toFixed(0)} / ${pipe.rssMb.full.toFixed(0)} / ${pipe.rssMb.light.toFixed(0)} MB`,
      'largest VmRSS sampled every 100 ms; the 30 MB case is in the light load',
    ],
  ];
  const out = [
    '',
    `| measure | value | note |`,
    '|---|---|---|',
    ...rows.map((x) => `| ${x.join(' | ')} |`),
  ];
  out.push('', '| process | pid | CPU s (whole run) | peak RSS MB |', '|---|---|---|---|');
  for (const p of pipe.processes) {
    out.push(
      `| ${p.name} | ${p.pid} | ${(p.cpuMs / 1000).toFixed(1)} | ${p.peakRssMb.toFixed(0)} |`,
    );
  }
  const threads = [...pipe.threads]
    .filter(([, ms]) => ms >= 10)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12);
  out.push('', '| service thread (name, id) | CPU ms / message, full load |', '|---|---|');
  for (const [name, ms] of threads) {
    out.push(`| ${name} | ${(ms / Number(r.messages)).toFixed(1)} |`);
  }
  return out.join('\n');
}

/** Wall ms per stage at full load: mean and p95 (floor: mean of the serial run). */
export function stageTable(floor: FloorResult, pipe: PipelineResult): string {
  const stages = pipelineStages(pipe);
  const floorOf = (k: keyof FloorResult['stages'][number]) => mean(floor.stages.map((s) => s[k]));
  const rows: [string, number | null, number[]][] = [
    ['download (IMAP -> blob + row)', null, stages.download],
    ['queue wait', null, stages.queue],
    ['open raw blob (read as it is parsed)', null, stages.load],
    ['parse (mailparser)', floorOf('parse'), stages.parse],
    ['documents', floorOf('documents'), stages.documents],
    ['rules (assemble + rules)', floorOf('rules'), stages.rules],
    ['store (filing the case)', null, stages.store],
    ['reply (filed -> sink)', null, stages.reply],
  ];
  const out = [
    '',
    '| stage (wall ms) | floor mean | pipeline mean | pipeline p95 |',
    '|---|---|---|---|',
  ];
  for (const [name, f, v] of rows) {
    out.push(
      `| ${name} | ${f === null ? '-' : f.toFixed(0)} | ${mean(v).toFixed(0)} | ${percentile(v, 95).toFixed(0)} |`,
    );
  }
  return out.join('\n');
}

/** Each evaluation thread's share of the full load spent running callbacks (its log lines). */
export function loopBusy(pipe: Pick<PipelineResult, 'logs' | 'fullLoad'>): string {
  const seen = new Map<number, { first: ThreadLoop; last: ThreadLoop }>();
  for (const l of pipe.logs) {
    const loop = l.loop as ThreadLoop | undefined;
    if (l.msg !== 'submission filed' || !loop) continue;
    if (l.time < pipe.fullLoad.from || l.time > pipe.fullLoad.to) continue;
    const id = Number(l.thread);
    seen.set(id, { first: seen.get(id)?.first ?? loop, last: loop });
  }
  const shares = [...seen].map(([id, { first, last }]) => {
    const active = last.active - first.active;
    const busy = active / (active + last.idle - first.idle || 1);
    return `${(busy * 100).toFixed(0)} % (thread ${id})`;
  });
  return shares.join(', ') || '-';
}

/**
 * The full load in two parts: while the poller is still downloading it, and after its last
 * message is stored. Messages filed a second and the machine's CPU busy in each.
 */
export function downloadPhases(
  pipe: Pick<PipelineResult, 'logs' | 'fullLoad' | 'machineSeries'>,
): [string, string] {
  const { from, to } = pipe.fullLoad;
  const during = (l: LogLine, msg: string) => l.msg === msg && l.time >= from && l.time <= to;
  const stored = pipe.logs.filter((l) => during(l, 'message stored')).map((l) => l.time);
  const filed = pipe.logs.filter((l) => during(l, 'submission filed')).map((l) => l.time);
  const split = Math.max(from, ...stored);
  const filedBefore = filed.filter((t) => t <= split).length;
  const rate = (n: number, ms: number) => (ms > 0 ? ((n * 1000) / ms).toFixed(1) : '-');
  const busy = (a: number, b: number) => {
    const s = pipe.machineSeries.filter((m) => m.time >= a && m.time <= b);
    const first = s[0];
    const last = s[s.length - 1];
    if (!first || !last || last.total === first.total) return '-';
    return `${(((last.busy - first.busy) / (last.total - first.total)) * 100).toFixed(0)} %`;
  };
  return [
    `${rate(filedBefore, split - from)} / ${rate(filed.length - filedBefore, to - split)} msg/s`,
    `messages filed a second; the last download done ${((split - from) / 1000).toFixed(1)} s into ${((to - from) / 1000).toFixed(1)}; machine CPU busy ${busy(from, split)} / ${busy(split, to)}`,
  ];
}

function pipelineStages(pipe: PipelineResult) {
  const byUid = new Map([...pipe.arrivals].map(([id, a]) => [a.uid, id]));
  const stored = new Map<number, LogLine>();
  for (const l of pipe.logs) if (l.msg === 'message stored') stored.set(Number(l.messageId), l);
  const s = {
    download: [],
    queue: [],
    load: [],
    parse: [],
    documents: [],
    rules: [],
    store: [],
    reply: [],
  } as Record<string, number[]>;
  for (const l of pipe.logs) {
    if (l.msg !== 'submission filed') continue;
    const st = stored.get(Number(l.messageId));
    const stages = (l.stages ?? {}) as Record<string, number>;
    for (const k of ['load', 'parse', 'documents', 'rules', 'store']) s[k]?.push(stages[k] ?? 0);
    if (!st) continue;
    s.download?.push(Number(st.ms ?? 0));
    s.queue?.push(l.time - Number(l.ms ?? 0) - st.time);
    const benchId = byUid.get(Number(st.uid));
    const replied = benchId ? pipe.replies.get(benchId) : undefined;
    if (replied) s.reply?.push(replied - l.time);
  }
  return s as Record<
    'download' | 'queue' | 'load' | 'parse' | 'documents' | 'rules' | 'store' | 'reply',
    number[]
  >;
}
