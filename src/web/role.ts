// The `web` role: the dashboard as a start/stop part for src/app.ts.
import type { ContestProfile } from '../config/contest.js';
import { ConfigError, type Env } from '../config/env.js';
import type { EvaluatePool } from '../evaluate-pool.js';
import type { Logger } from '../log.js';
import type { Queues } from '../queue/queues.js';
import { queueDecisionReply } from '../replies/index.js';
import type { BlobStore } from '../store/blobs.js';
import type { Db } from '../store/db.js';
import { resolveCredentials } from './auth.js';
import type { DecisionReplyArgs } from './deps.js';
import { reprocessWith } from './evaluate.js';
import { buildWebServer, type FastifyInstance } from './server.js';

export interface WebPartDeps {
  env: Env;
  profile: ContestProfile;
  db: Db;
  blobs: BlobStore;
  queues: Queues;
  log: Logger;
  pingRedis: () => Promise<boolean>;
  /** Runs the validation core again for the dashboard (reprocess, reports, files). */
  evaluatePool: Pick<EvaluatePool, 'evaluate' | 'reread'>;
  /** Where start() writes the generated password (stderr by default). */
  announce?: (line: string) => void;
}

/** The dashboard's "send the decision notice" option, through the replies module. */
export function decisionReplyFor(
  deps: Pick<WebPartDeps, 'db' | 'queues'>,
  ownAddresses: string[] = [],
) {
  return async (args: DecisionReplyArgs) => {
    await queueDecisionReply(deps.db, deps.queues, { ...args, ownAddresses });
  };
}

export async function createWebPart(deps: WebPartDeps) {
  const { env, log } = deps;
  const credentials = resolveCredentials(env.web);
  // Only this machine may reach it unless WEB_HOST says otherwise; with no password set, always.
  const host = credentials.generated ? '127.0.0.1' : (env.web.host ?? '127.0.0.1');
  let server: FastifyInstance | undefined;
  return {
    name: 'web',
    get server() {
      return server;
    },
    async start() {
      server = await buildWebServer({
        db: deps.db,
        blobs: deps.blobs,
        queues: deps.queues,
        profile: deps.profile,
        log: log.child({ component: 'web' }),
        credentials,
        evaluate: reprocessWith(deps.evaluatePool.evaluate),
        reread: deps.evaluatePool.reread,
        decisionReply: decisionReplyFor(deps, env.replyFrom ? [env.replyFrom] : []),
        pingRedis: deps.pingRedis,
        trustProxy: env.web.trustProxy,
      });
      const address = await server.listen({ host, port: env.web.port }).catch(async (err) => {
        await server?.close();
        const why: Record<string, string> = {
          EADDRINUSE: 'WEB_PORT: another program has the port',
          EACCES: 'WEB_PORT: not permitted (a port below 1024 needs privileges)',
          EADDRNOTAVAIL: 'WEB_HOST: not an address of this machine',
        };
        const code = (err as NodeJS.ErrnoException).code ?? '';
        const problem = why[code];
        if (!problem) throw err;
        throw new ConfigError([`${problem}: cannot listen on ${host}:${env.web.port} (${code})`]);
      });
      if (credentials.generated) {
        if (env.web.host && env.web.host !== host)
          log.warn(
            { webHost: env.web.host },
            'no ADMIN_PASSWORD: WEB_HOST ignored, listening on 127.0.0.1 only',
          );
        (deps.announce ?? ((l) => process.stderr.write(`${l}\n`)))(
          `dashboard: ${address}  user: ${credentials.user}  password (generated for this run; set ADMIN_PASSWORD to fix one): ${credentials.password}`,
        );
      }
      log.info({ address }, 'dashboard listening');
    },
    async stop() {
      await server?.close();
    },
  };
}
