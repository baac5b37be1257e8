// An in-process SMTP server (the `smtp-server` package) that keeps every message it accepts,
// for reply tests. It can refuse connections for a while (the listener really closes: clients
// get ECONNREFUSED), answer chosen recipients with a status code, and run a hook when a message
// has arrived but before it is acknowledged (to kill the sending worker at that instant).
import { SMTPServer } from 'smtp-server';
import { freePort } from '../../src/net.js';

export interface SinkMessage {
  raw: Buffer;
  messageId: string | null;
  from: string;
  to: string[];
  /** When the last byte of DATA arrived (Date.now()), before the 250. */
  at: number;
}

/** The service's SMTP_* variables for a sink (plaintext on loopback). */
export function smtpVars(s: { host: string; port: number }) {
  return { SMTP_HOST: s.host, SMTP_PORT: String(s.port), SMTP_SECURE: 'false' };
}

export interface SmtpSink {
  host: '127.0.0.1';
  port: number;
  messages: SinkMessage[];
  /** Connections accepted so far (a client that reuses its connection opens fewer). */
  connections: number;
  /** AUTH attempts so far, right or wrong. */
  logins: number;
  /** Called with each message before the 250 reply; the reply waits for it. */
  onMessage?: (m: SinkMessage) => Promise<void> | void;
  /** A status (e.g. 550, 451) to refuse a recipient with, or null to accept. */
  recipientStatus?: (address: string) => number | null;
  /** The relay account AUTH must name (changeable: a password rotated at the relay). */
  auth?: { user: string; pass: string };
  /** Closes the listener now; connections are refused until `accept()`. */
  refuse(): Promise<void>;
  accept(): Promise<void>;
  byMessageId(): Map<string, SinkMessage[]>;
  stop(): Promise<void>;
}

const headerOf = (raw: Buffer, name: string) =>
  new RegExp(`^${name}:[ \\t]*(\\S[^\\r\\n]*)`, 'im').exec(
    raw.toString('latin1').split(/\r?\n\r?\n/)[0] ?? '',
  )?.[1] ?? null;

export async function startSmtpSink(
  opts: { auth?: { user: string; pass: string } } = {},
): Promise<SmtpSink> {
  const port = await freePort();
  let server: SMTPServer | undefined;

  const sink: SmtpSink = {
    host: '127.0.0.1',
    port,
    messages: [],
    connections: 0,
    logins: 0,
    auth: opts.auth,
    async refuse() {
      const s = server;
      server = undefined;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    async accept() {
      if (server) return;
      // A fresh server per period: a closed SMTPServer is not meant to listen again.
      const s = new SMTPServer({
        authOptional: !opts.auth,
        // With credentials: AUTH over plain TCP (loopback only), checked like a real relay.
        allowInsecureAuth: true,
        disabledCommands: opts.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
        onAuth(auth, _session, callback) {
          sink.logins++;
          const ok = auth.username === sink.auth?.user && auth.password === sink.auth?.pass;
          callback(
            ok ? null : new Error('invalid credentials'),
            ok ? { user: auth.username } : undefined,
          );
        },
        logger: false,
        closeTimeout: 1_000,
        onConnect(_session, callback) {
          sink.connections++;
          callback();
        },
        onRcptTo(address, _session, callback) {
          const status = sink.recipientStatus?.(address.address) ?? null;
          if (status === null) return callback();
          callback(
            Object.assign(new Error(`recipient refused by test sink (${status})`), {
              responseCode: status,
            }),
          );
        },
        onData(stream, session, callback) {
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            const at = Date.now();
            const raw = Buffer.concat(chunks);
            const message: SinkMessage = {
              raw,
              messageId: headerOf(raw, 'Message-ID'),
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
              at,
            };
            sink.messages.push(message);
            Promise.resolve(sink.onMessage?.(message)).then(
              () => callback(),
              (err: Error) => callback(err),
            );
          });
        },
      });
      s.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => {
        s.server.once('error', reject);
        s.listen(port, '127.0.0.1', () => resolve());
      });
      server = s;
    },
    byMessageId() {
      const out = new Map<string, SinkMessage[]>();
      for (const m of sink.messages) {
        const key = m.messageId ?? '(none)';
        out.set(key, [...(out.get(key) ?? []), m]);
      }
      return out;
    },
    stop: () => sink.refuse(),
  };
  await sink.accept();
  return sink;
}
