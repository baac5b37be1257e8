import { describe, expect, it } from 'vitest';
import { loopBusy } from '../../scripts/bench/report.js';

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
});
