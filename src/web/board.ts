// bull-board at /admin/queues (the only importer of @bull-board/*). It sits behind the same
// login hook as every other page because it is registered on the same Fastify instance. It only
// shows: emptying a queue would drop submissions, retrying a reply job could send it again, and
// its actions go past the dashboard's CSRF check and audit log (reprocessing is on case pages).
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { Queues } from '../queue/queues.js';

export const BOARD_PATH = '/admin/queues';

export async function mountQueueBoard(app: FastifyInstance, queues: Queues): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  createBullBoard({
    queues: [queues.process, queues.reply].map((q) => new BullMQAdapter(q, { readOnlyMode: true })),
    // @bull-board/fastify 9.10.1 bundles its own @bull-board/api 9.10.1 beside our 9.10.2: the
    // classes are the same, their declarations differ only by copy.
    serverAdapter: serverAdapter as unknown as Parameters<
      typeof createBullBoard
    >[0]['serverAdapter'],
    options: { uiConfig: { boardTitle: '案例征集队列' } },
  });
  await app.register(serverAdapter.registerPlugin(), { prefix: BOARD_PATH });
}
