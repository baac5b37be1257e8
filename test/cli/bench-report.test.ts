import { describe, expect, it } from 'vitest';
import { downloadPhases, loopBusy } from '../../scripts/bench/report.js';

const filed = (time: number, thread: number, active: number, idle: number) => ({
  time,
  msg: 'submission filed',
  thread,
  loop: { active, idle },
});

describe('the bench report', () => {
  it("gives each evaluation thread's busy share over the full load only", () => {
    const logs = [
      filed(900, 1, 0, 5_000), // a warm-up message, before the full load
      filed(1_000, 1, 1_000, 5_000),
      { time: 1_500, msg: 'message stored' },
      filed(1_600, 2, 300, 100),
      filed(2_000, 1, 1_900, 5_100),
      filed(2_500, 2, 800, 600),
      filed(9_000, 1, 9_000, 9_000), // the light load, after it
    ];
    expect(loopBusy({ logs, fullLoad: { from: 1_000, to: 3_000 } })).toBe(
      '90 % (thread 1), 50 % (thread 2)',
    );
    expect(loopBusy({ logs: [], fullLoad: { from: 0, to: 1 } })).toBe('-');
  });

  it('splits the full load where the last download of it was stored', () => {
    const at = (time: number, msg: string) => ({ time, msg });
    const logs = [
      at(500, 'message stored'), // a warm-up message
      at(900, 'submission filed'),
      at(1_200, 'message stored'),
      at(1_500, 'submission filed'),
      at(2_000, 'message stored'), // the last download: 1 s in
      at(2_500, 'submission filed'),
      at(2_800, 'submission filed'),
      at(3_000, 'submission filed'),
      at(9_000, 'message stored'), // the light load
    ];
    const tick = (time: number, busy: number, total: number) => ({ time, busy, total });
    const machineSeries = [tick(1_000, 0, 0), tick(2_000, 90, 100), tick(3_000, 150, 200)];
    expect(downloadPhases({ logs, fullLoad: { from: 1_000, to: 3_000 }, machineSeries })).toEqual([
      '1.0 / 3.0 msg/s',
      'messages filed a second; the last download done 1.0 s into 2.0; machine CPU busy 90 % / 60 %',
    ]);
  });
});
