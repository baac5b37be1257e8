// A store filled the way production fills it: the real fixture submissions (and one hostile
// message) ingested and processed by the real pipeline on a private Redis, then the dashboard
// built on the same pieces and listening on a free loopback port.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { App } from '../../src/app.js';
import { createEvaluatePool } from '../../src/evaluate-pool.js';
import { receiveTime } from '../../src/intake/sources.js';
import { createLogger } from '../../src/log.js';
import { pingRedis } from '../../src/queue/redis-server.js';
import type { WebDeps } from '../../src/web/deps.js';
import { reprocessWith } from '../../src/web/evaluate.js';
import { decisionReplyFor } from '../../src/web/role.js';
import { buildWebServer, type FastifyInstance } from '../../src/web/server.js';
import { createRig, PROJECT_ROOT, type Rig, waitFor } from '../support/app.js';
import { makeMessage } from '../support/mail.js';

export const FIXTURES = path.join(PROJECT_ROOT, 'fixtures/submissions');
export const CREDENTIALS = { user: 'organiser', password: 'correct horse battery' };
export const SCRIPT_SUBJECT = '<script>alert(1)</script>';
export const EVIL_FILENAME = '../../etc/passwd';

export interface Populated {
  rig: Rig;
  app: App;
  server: FastifyInstance;
  deps: WebDeps;
  baseUrl: string;
  fixtureCount: number;
  dispose(): Promise<void>;
}

export async function populate(
  opts: {
    loginAttemptsPerMinute?: number /** Some of the fixtures, not all. */;
    only?: string[];
  } = {},
): Promise<Populated> {
  const rig = await createRig('sqlite');
  const app = await rig.app({ roles: ['worker'] });
  await app.start();
  const files = (opts.only ?? (await readdir(FIXTURES)).filter((f) => f.endsWith('.eml'))).sort();
  for (const f of files) {
    const raw = await readFile(path.join(FIXTURES, f));
    const { receivedAt, receivedAtSource } = await receiveTime(raw, new Date());
    await app.ingest({
      raw,
      source: 'import',
      mailbox: 'import',
      receivedAt,
      receivedAtSource,
      originalName: f,
    });
  }
  const hostile = await makeMessage({
    subject: `${SCRIPT_SUBJECT}+脚本测试案例`,
    receivedAt: new Date('2025-10-01T10:00:00+08:00'),
    attachments: [
      {
        filename: EVIL_FILENAME,
        content: Buffer.from('root:x:0:0:root:/root:/bin/bash\n'),
        contentType: 'text/plain',
      },
    ],
  });
  await app.ingest({
    raw: hostile,
    source: 'import',
    mailbox: 'import',
    receivedAt: new Date('2025-10-01T10:00:00+08:00'),
    receivedAtSource: 'received-header',
  });
  const total = files.length + 1;
  await waitFor(
    `all ${total} messages processed`,
    async () => {
      const r = await rig.store.db.k
        .selectFrom('messages')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('state', 'in', ['processed', 'failed'])
        .executeTakeFirstOrThrow();
      return Number(r.n) === total;
    },
    180_000,
  );
  const log = createLogger('warn');
  // The dashboard's own evaluation thread, as `intake web` has (src/app.ts).
  const pool = createEvaluatePool({
    blobDir: path.join(rig.dataDir, 'blobs'),
    profile: app.profile,
    size: 1,
    jobsPerThread: 2,
  });
  const deps: WebDeps = {
    db: app.db,
    blobs: app.blobs,
    queues: app.queues,
    profile: app.profile,
    log,
    credentials: CREDENTIALS,
    evaluate: reprocessWith(pool.evaluate),
    reread: pool.reread,
    pingRedis: () => pingRedis('127.0.0.1', rig.redis.port),
    loginAttemptsPerMinute: opts.loginAttemptsPerMinute,
    decisionReply: decisionReplyFor({ db: app.db, queues: app.queues }),
  };
  const server = await buildWebServer(deps);
  const baseUrl = await server.listen({ host: '127.0.0.1', port: 0 });
  return {
    rig,
    app,
    server,
    deps,
    baseUrl,
    fixtureCount: files.length,
    async dispose() {
      await server.close();
      await pool.close();
      await rig.dispose();
    },
  };
}

export function basicAuth(c = CREDENTIALS): string {
  return `Basic ${Buffer.from(`${c.user}:${c.password}`).toString('base64')}`;
}
