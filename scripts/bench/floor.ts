// The floor: the validation core alone, in this process, one message after another (no IMAP,
// queue, store or reply), measured after the warm-up messages. process.cpuUsage() counts every
// thread of the process: the documents worker thread and sharp's libvips threads included.
import type { ContestProfile } from '../../src/config/contest.js';
import { closeDocumentsWorker } from '../../src/documents/index.js';
import { type StageTimings, validateMessage } from '../../src/validate.js';
import type { BenchMessage } from './generate.js';

export interface FloorResult {
  cpuMsPerMsg: number;
  /** Of cpuMsPerMsg, the kernel's time. */
  systemMsPerMsg: number;
  minorFaultsPerMsg: number;
  /** CPU ms per message of each floor run, when there were several (cpuMsPerMsg is their mean). */
  runs?: number[];
  wallMsPerMsg: number;
  verdicts: Record<string, number>;
  stages: Required<StageTimings>[];
}

export async function measureFloor(
  warm: BenchMessage[],
  messages: BenchMessage[],
  receivedAt: Date,
  profile: ContestProfile,
): Promise<FloorResult> {
  for (const m of warm) await validateMessage(m.raw, receivedAt, profile);
  const verdicts: Record<string, number> = {};
  const stages: Required<StageTimings>[] = [];
  const cpu = process.cpuUsage();
  const faults = process.resourceUsage().minorPageFault;
  const wall = performance.now();
  for (const m of messages) {
    const timings: StageTimings = {};
    const { result } = await validateMessage(m.raw, receivedAt, profile, { timings });
    verdicts[result.verdict] = (verdicts[result.verdict] ?? 0) + 1;
    stages.push({
      parse: timings.parse ?? 0,
      documents: timings.documents ?? 0,
      rules: timings.rules ?? 0,
    });
  }
  const used = process.cpuUsage(cpu);
  const minorFaults = process.resourceUsage().minorPageFault - faults;
  const wallMs = performance.now() - wall;
  await closeDocumentsWorker();
  return {
    cpuMsPerMsg: (used.user + used.system) / 1000 / messages.length,
    systemMsPerMsg: used.system / 1000 / messages.length,
    minorFaultsPerMsg: minorFaults / messages.length,
    wallMsPerMsg: wallMs / messages.length,
    verdicts,
    stages,
  };
}
