// A documents worker whose reader fails where no task can catch it (worker.test's crash case):
// every task throws from a callback of its own, which ends the thread with an 'error'.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', () => {
  setImmediate(() => {
    throw new TypeError('a reader failed outside its task');
  });
});
