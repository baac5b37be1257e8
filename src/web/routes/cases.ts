// `/cases` (filter, search, page) and `/cases/:id` with the organiser's actions. Actions are
// POST + CSRF, then redirect back (post/redirect/get) with a notice code.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { suggestDirection } from '../../report/directions.js';
import { getCaseDetail } from '../../store/case-detail.js';
import { filterValues, searchCases } from '../../store/case-search.js';
import {
  OVERRIDE_VERDICTS,
  type OverrideVerdict,
  overrideVerdict,
  withdrawCase,
} from '../../store/decisions.js';
import { reprocessCase } from '../../store/reprocess.js';
import { checkForm, formToken } from '../csrf.js';
import type { WebDeps } from '../deps.js';
import type { MessageReader } from '../evaluate.js';
import { casePage } from '../views/case.js';
import { caseListPage } from '../views/pages.js';

type ListQuery = Record<
  'status' | 'verdict' | 'direction' | 'applicantType' | 'q' | 'sort' | 'page',
  string | undefined
>;

const NOTICES: Record<string, string> = {
  overridden: '已保存人工改判，并记入审计日志。',
  'overridden-replied': '已保存人工改判，决定通知已排入发送队列。',
  reprocessed: '已用当前规则重新校验。',
  withdrawn: '已标记为撤回。',
};
const ERRORS: Record<string, string> = {
  reason: '请填写改判理由。',
  verdict: '请选择有效的结论。',
  'reply-unavailable': '已保存改判，但回复模块尚未启用，决定通知未发送。',
  'reply-failed': '已保存改判，但决定通知未能排入队列，请稍后重试或在队列页查看。',
  'reprocess-failed': '部分提交未能重新校验（例如原始邮件无法读取），保持原结果；详情见服务日志。',
};

/** Past any campaign's last page; a larger number only made an OFFSET no database takes. */
const MAX_PAGE = 100_000;

/** A row id from a path: digits only, within the `integer` column's range. */
export const rowId = (raw: string) => (/^\d{1,9}$/.test(raw) ? Number(raw) : null);
const caseId = rowId;

export function caseRoutes(app: FastifyInstance, deps: WebDeps, messages: MessageReader): void {
  app.get<{ Querystring: ListQuery }>('/cases', async (req, reply) => {
    const q = req.query;
    const filter = {
      status: q.status || undefined,
      verdict: q.verdict || undefined,
      direction: q.direction || undefined,
      applicantType: q.applicantType || undefined,
      q: q.q || undefined,
      sort: q.sort === 'oldest' ? ('oldest' as const) : ('newest' as const),
      page: Number(q.page) > 0 ? Math.min(Math.floor(Number(q.page)), MAX_PAGE) : 1,
    };
    const [result, values] = await Promise.all([
      searchCases(deps.db, filter),
      filterValues(deps.db),
    ]);
    reply.type('text/html; charset=utf-8');
    return caseListPage({ filter, ...result, ...values }, req.user ?? '', formToken(req));
  });

  app.get<{ Params: { id: string }; Querystring: { notice?: string; error?: string } }>(
    '/cases/:id',
    async (req, reply) => {
      const id = caseId(req.params.id);
      const detail = id === null ? undefined : await getCaseDetail(deps.db, id);
      if (!detail) return notFound(reply);
      const current = detail.submissions.find((s) => s.id === detail.case.currentSubmissionId);
      const msg = current
        ? await deps.db.k
            .selectFrom('messages')
            .select(['sha256', 'received_at'])
            .where('id', '=', current.messageRowId)
            .executeTakeFirst()
        : undefined;
      const report =
        msg && current?.result.report
          ? await messages.report({ sha256: msg.sha256, receivedAt: new Date(msg.received_at) })
          : null;
      const suggested = suggestDirection(
        deps.profile,
        `${detail.case.title} ${report?.text ?? ''}`,
      );
      reply.type('text/html; charset=utf-8');
      return casePage(
        {
          detail,
          report,
          suggested,
          notice: NOTICES[req.query.notice ?? ''],
          error: ERRORS[req.query.error ?? ''],
        },
        req.user ?? '',
        formToken(req),
      );
    },
  );

  app.post<{
    Params: { id: string };
    Body: { verdict?: string; reason?: string; sendReply?: string };
  }>('/cases/:id/override', { preHandler: checkForm }, async (req, reply) => {
    const id = caseId(req.params.id);
    if (id === null || !(await getCaseDetail(deps.db, id))) return notFound(reply);
    const verdict = req.body?.verdict as OverrideVerdict;
    const reason = (req.body?.reason ?? '').trim();
    if (!OVERRIDE_VERDICTS.includes(verdict)) return back(reply, id, 'error=verdict');
    if (!reason) return back(reply, id, 'error=reason');
    const { submissionId } = await overrideVerdict(deps.db, id, {
      verdict,
      reason,
      actor: req.user ?? 'organiser',
    });
    if (req.body?.sendReply !== '1' || submissionId === null)
      return back(reply, id, 'notice=overridden');
    if (!deps.decisionReply) return back(reply, id, 'error=reply-unavailable');
    try {
      await deps.decisionReply({ submissionId, verdict, reason, actor: req.user ?? 'organiser' });
    } catch (err) {
      deps.log.error({ err, caseId: id, submissionId }, 'decision reply could not be queued');
      return back(reply, id, 'error=reply-failed');
    }
    return back(reply, id, 'notice=overridden-replied');
  });

  app.post<{ Params: { id: string } }>(
    '/cases/:id/reprocess',
    { preHandler: checkForm },
    async (req, reply) => {
      const id = caseId(req.params.id);
      if (id === null || !(await getCaseDetail(deps.db, id))) return notFound(reply);
      const { failures } = await reprocessCase(deps.db, deps.evaluate, id, req.user ?? 'organiser');
      if (failures.length === 0) return back(reply, id, 'notice=reprocessed');
      deps.log.error({ caseId: id, failures }, 'reprocess left submissions as they were');
      return back(reply, id, 'error=reprocess-failed');
    },
  );

  app.post<{ Params: { id: string }; Body: { reason?: string } }>(
    '/cases/:id/withdraw',
    { preHandler: checkForm },
    async (req, reply) => {
      const id = caseId(req.params.id);
      if (id === null || !(await getCaseDetail(deps.db, id))) return notFound(reply);
      await withdrawCase(deps.db, id, {
        reason: req.body?.reason ?? '',
        actor: req.user ?? 'organiser',
      });
      return back(reply, id, 'notice=withdrawn');
    },
  );
}

function back(reply: FastifyReply, id: number, query: string) {
  return reply.redirect(`/cases/${id}?${query}`, 303);
}

export function notFound(reply: FastifyReply) {
  return reply.code(404).type('text/plain; charset=utf-8').send('未找到');
}
