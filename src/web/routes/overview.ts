// `/`: how the campaign stands — counts, submissions per day against the deadline, mailbox and
// queue health, replies that did not go out, messages the poller passed over (each marked dealt
// with from here once fetched by hand).
import type { FastifyInstance } from 'fastify';
import { withTimeout } from '../../queue/queues.js';
import { resolveUnfetched } from '../../store/cursors.js';
import { getOverview } from '../../store/overview.js';
import { checkForm, formToken } from '../csrf.js';
import type { WebDeps } from '../deps.js';
import { overviewPage } from '../views/pages.js';
import { notFound, rowId } from './cases.js';

export function offsetMinutes(utcOffset: string): number {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(utcOffset);
  if (!m) return 480;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

export function overviewRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.get('/', async (req, reply) => {
    const overview = await getOverview(deps.db, offsetMinutes(deps.profile.deadline.utcOffset));
    // Redis down must not take the overview down with it: show "unknown" instead.
    const depths = await withTimeout(deps.queues.depths(), 2_000).catch(() => null);
    reply.type('text/html; charset=utf-8');
    return overviewPage(
      { overview, depths, deadlineDay: deps.profile.deadline.date, contestName: deps.profile.name },
      req.user ?? '',
      formToken(req),
    );
  });

  // An organiser fetched a passed-over message by hand (`intake import`): off the list.
  app.post<{ Params: { id: string } }>(
    '/unfetched/:id/resolve',
    { preHandler: checkForm },
    async (req, reply) => {
      const id = rowId(req.params.id);
      if (id === null || !(await resolveUnfetched(deps.db, id, req.user ?? 'organiser'))) {
        return notFound(reply);
      }
      return reply.redirect('/', 303);
    },
  );
}
