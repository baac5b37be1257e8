// The root logger. Components take a child (`log.child({ component: 'poller' })`); passwords
// and message content are redacted here, once, so no call site can leak them.
import pino, { type Logger } from 'pino';

export type { Logger };

export const REDACT_PATHS = [
  'password',
  '*.password',
  'pass',
  '*.pass',
  'auth.pass',
  '*.auth.pass',
  'imap.password',
  'smtp.password',
  'adminPassword',
  '*.adminPassword',
  'raw',
  '*.raw',
  'content',
  '*.content',
  'body',
  '*.body',
];

export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'case-intake' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination ?? pino.destination(2),
  );
}
