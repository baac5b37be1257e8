// Health for the orchestrator (no login: they reveal nothing) and metrics for Prometheus
// (behind the login: counts of a campaign are the organisers' business; scrape with Basic).
import type { FastifyInstance } from 'fastify';
import { withTimeout } from '../../queue/queues.js';
import { sql } from '../../store/kysely.js';
import type { WebDeps } from '../deps.js';
import type { Metrics } from '../metrics.js';

export function opsRoutes(app: FastifyInstance, deps: WebDeps, metrics: Metrics): void {
  app.get('/healthz', async () => ({ ok: true }));

  app.get('/readyz', async (_req, reply) => {
    const store = await withTimeout(sql`select 1`.execute(deps.db.k), 2_000).then(
      () => true,
      () => false,
    );
    const redis = await withTimeout(deps.pingRedis(), 2_000).catch(() => false);
    reply.code(store && redis ? 200 : 503);
    return { ok: store && redis, store, redis };
  });

  app.get('/metrics', async (_req, reply) => {
    reply.type(metrics.contentType);
    return metrics.render();
  });
}
