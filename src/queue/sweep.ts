// The sweep: at start-up and on a timer, every row whose work is unfinished is enqueued again.
// Redis carries only work, so a flushed or lost Redis loses nothing: the database remembers.
import type { Logger } from '../log.js';
import type { Queues } from './queues.js';

export interface SweepSource {
  unfinishedMessageIds(): Promise<number[]>;
  unfinishedReplyIds(): Promise<number[]>;
}

export function createSweeper(deps: {
  source: SweepSource;
  queues: Queues;
  log: Logger;
  intervalMs?: number;
}) {
  const { source, queues, log } = deps;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  // A reply deferred by the hourly limit is enqueued again every minute for up to an hour:
  // the same count again is not news.
  let lastCount = 0;

  async function sweepOnce(): Promise<number> {
    let count = 0;
    for (const id of await source.unfinishedMessageIds()) {
      await queues.enqueueProcess(id);
      count++;
    }
    for (const id of await source.unfinishedReplyIds()) {
      await queues.enqueueReply(id);
      count++;
    }
    if (count > 0)
      log[count === lastCount ? 'debug' : 'info']({ count }, 'sweep enqueued unfinished work');
    lastCount = count;
    return count;
  }

  /** One sweep at a time; a call while one runs waits for it. */
  function sweep(): Promise<number> {
    running ??= sweepOnce().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    sweep,
    async start() {
      await sweep().catch((err) => log.warn({ err }, 'start-up sweep failed; the timer retries'));
      timer = setInterval(() => {
        sweep().catch((err) => log.warn({ err }, 'sweep failed'));
      }, deps.intervalMs ?? 60_000);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
