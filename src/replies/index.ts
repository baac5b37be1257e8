// Replies to applicants (issue 4): which reply a submission gets (plan.ts), what it says
// (content.ts + config/replies/ templates), the `send-reply` job (send-job.ts) and the
// organiser's decision reply for the dashboard (decision.ts).
export { type ReplyFacts, replyValues, VERDICT_LABELS } from './content.js';
export {
  DECISION_VERDICTS,
  type DecisionReplyInput,
  type DecisionVerdict,
  decisionReason,
  queueDecisionReply,
} from './decision.js';
export { planReply, replyKindFor } from './plan.js';
export { createReplyJob, type ReplyJobDeps } from './send-job.js';
export {
  DEFAULT_TEMPLATE_DIR,
  loadTemplates,
  REPLY_KINDS,
  type ReplyKind,
  type Templates,
} from './templates.js';

export { createReplyHandler, DEFAULT_OUTBOX_FROM, ownAddresses } from './wiring.js';
