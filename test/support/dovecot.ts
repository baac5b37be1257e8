// A throwaway Dovecot per DESIGN.md §5: its own temp dir, config, random loopback port and
// instance name, so tests can run beside another Dovecot (or another test's). Runs as root
// (the recipe's users: dovecot, dovenull, nobody). Talks IMAP through src/intake/imap.ts, the
// only importer of imapflow.
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createImapSession, type ImapSession } from '../../src/intake/imap.js';
import { freePort } from '../../src/net.js';

const run = promisify(execFile);

/** The service's IMAP_* variables for a test Dovecot (plaintext on loopback). */
export function imapVars(d: { host: string; port: number; user: string; password: string }) {
  return {
    IMAP_HOST: d.host,
    IMAP_PORT: String(d.port),
    IMAP_SECURE: 'false',
    IMAP_USER: d.user,
    IMAP_PASSWORD: d.password,
  };
}

/** Distinctive, so a test can prove it never reaches a log. */
export const DOVECOT_PASSWORD = 'dovecot-Intake-pw-7f3a';

export interface TestDovecot {
  host: '127.0.0.1';
  port: number;
  user: 'contest';
  password: string;
  dir: string;
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** The master process's pid while it runs (the bench counts Dovecot's CPU from it). */
  masterPid(): number | undefined;
  /** SIGKILLs this instance's `imap` processes (a dropped connection); returns how many. */
  killImapProcesses(): Promise<number>;
  /** Re-creates the mailbox with the same messages (same bytes and INTERNALDATE) under a new UIDVALIDITY. */
  recreateMailbox(name?: string): Promise<void>;
  append(raw: Buffer, date?: Date, mailbox?: string): Promise<number>;
  /**
   * Creates `staging`, for messages appended ahead and moved into INBOX at once by `release`
   * (the bench: arrival without the cost of APPEND in the measured time).
   */
  createMailbox(name: string): Promise<void>;
  /** Moves every message of `from` into INBOX, in UID order; returns their new INBOX UIDs. */
  release(from: string): Promise<number[]>;
}

/**
 * Runs the dovecot master until it has daemonised. Not execFile: the daemon inherits the
 * stdout/stderr pipes, so waiting for them to close would wait for Dovecot to stop.
 */
function daemonize(file: string, args: string[], logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) return resolve();
      readFile(logFile, 'utf8')
        .catch(() => '')
        .then((log) =>
          reject(new Error(`dovecot exited with ${code}: ${log.split('\n').slice(-5).join('\n')}`)),
        );
    });
  });
}

const NOT_INSTALLED = 'dovecot-imapd not installed: run .ci/run or apt-get install dovecot-imapd';

/** `name` on PATH, or in the sbin folders a non-root PATH often lacks. */
function findBinary(name: string): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? '').split(path.delimiter),
    '/usr/sbin',
    '/usr/local/sbin',
    '/sbin',
  ];
  for (const dir of dirs.filter(Boolean)) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`dovecot harness: timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** `mktemp -d` folders are 0700; the `dovecot` user must traverse every folder above $T. */
async function assertTraversable(dir: string) {
  for (let d = path.dirname(dir); d !== path.dirname(d); d = path.dirname(d)) {
    if (((await stat(d)).mode & 0o001) === 0) {
      throw new Error(
        `dovecot harness: ${d} is not traversable by the dovecot user (chmod o+x it or set TMPDIR)`,
      );
    }
  }
}

function config(t: string, instance: string, port: number): string {
  return `instance_name = ${instance}
base_dir = ${t}/run
state_dir = ${t}/state
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = ${t}/dovecot.log
mail_location = maildir:${t}/mail/%u
mail_fsync = never
# Messages kept as they came, CRLF line ends and all. With Dovecot's default (stored with LF) it
# converts the line ends as it sends, and a partial FETCH must first find its offset in the
# converted text: 15-18 ms of Dovecot's CPU for a 5.6 MB message fetched in 960 KB pieces, 1.5-5.5
# with this, on the cores the service under test (and the bench) runs on. A mailbox provider's
# IMAP server does not share the service's machine.
mail_save_crlf = yes
default_internal_user = dovecot
default_login_user = dovenull
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${t}/users
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${t}/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`;
}

export async function startDovecot(): Promise<TestDovecot> {
  const dovecot = findBinary('dovecot');
  const doveadm = findBinary('doveadm');
  if (!dovecot || !doveadm) throw new Error(NOT_INSTALLED);

  const dir = await mkdtemp(path.join(os.tmpdir(), 'intake-dovecot-'));
  await chmod(dir, 0o755);
  await assertTraversable(dir);
  const conf = path.join(dir, 'dovecot.conf');
  const instance = `intake-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  await mkdir(path.join(dir, 'mail'));
  await chown(path.join(dir, 'mail'), 65534, 65534); // nobody:nogroup on Debian
  await writeFile(path.join(dir, 'users'), `contest:{PLAIN}${DOVECOT_PASSWORD}::::::\n`);
  const pidFile = path.join(dir, 'run', 'master.pid');
  const adm = (...args: string[]) => run(doveadm, ['-c', conf, ...args], { timeout: 15_000 });

  let port = 0;
  let running = false;
  const launch = async () => {
    await daemonize(dovecot, ['-c', conf], path.join(dir, 'dovecot.log'));
    running = true;
    await waitFor(`dovecot to accept on port ${port} (see ${dir}/dovecot.log)`, () =>
      accepts(port),
    );
  };
  // Process titles are "dovecot-<instance_name>/<service>"; the instance name is ours alone.
  const instancePids = async (service = '') => {
    const { stdout } = await run('pgrep', ['-a', '-f', `dovecot-${instance}/${service}`]).catch(
      () => ({ stdout: '' }),
    );
    return stdout
      .split('\n')
      .map((line) => /^(\d+)\s+dovecot-\S+?\/(\S+)/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null && (service === '' || m[2] === service))
      .map((m) => Number(m[1]));
  };
  const kill = (pids: number[]) => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    return pids.length;
  };
  const halt = async () => {
    if (!running) return;
    running = false;
    await adm('stop').catch(() => undefined);
    await waitFor('dovecot to exit', () => !existsSync(pidFile));
    // A stopped master leaves its imap sessions (and their log/stats helpers) running; a real
    // server restart drops the clients, so do that too.
    kill(await instancePids());
  };

  // A free port can be taken between probing and binding: try a few.
  for (let tries = 1; ; tries++) {
    port = await freePort();
    await writeFile(conf, config(dir, instance, port));
    try {
      await launch();
      break;
    } catch (err) {
      await halt();
      if (tries >= 3) throw err;
    }
  }

  let admin: ImapSession | undefined;
  const session = async () => {
    if (admin?.usable) return admin;
    admin = createImapSession({
      host: '127.0.0.1',
      port,
      secure: false,
      user: 'contest',
      password: DOVECOT_PASSWORD,
    });
    await admin.connect();
    return admin;
  };
  const dropSession = async () => {
    await admin?.logout(2_000);
    admin = undefined;
  };

  const append = async (raw: Buffer, date?: Date, mailbox = 'INBOX') => {
    // One retry: the shared session may have been killed by killImapProcesses().
    for (let tries = 1; ; tries++) {
      try {
        const res = await (await session()).append(mailbox, raw, date);
        if (!res) throw new Error(`dovecot harness: APPEND to ${mailbox} returned no UID`);
        return res.uid;
      } catch (err) {
        admin?.close();
        admin = undefined;
        if (tries >= 2) throw err;
      }
    }
  };

  return {
    host: '127.0.0.1',
    port,
    user: 'contest',
    password: DOVECOT_PASSWORD,
    dir,
    append,
    masterPid() {
      try {
        return Number(readFileSync(pidFile, 'utf8')) || undefined;
      } catch {
        return undefined;
      }
    },
    async stop() {
      await dropSession().catch(() => undefined);
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
    async restart() {
      await dropSession().catch(() => undefined);
      await halt();
      await launch();
    },
    async createMailbox(name) {
      await adm('mailbox', 'create', '-u', 'contest', name);
    },
    async release(from) {
      const status = async (box: string, item: string) => {
        const { stdout } = await adm('-f', 'flow', 'mailbox', 'status', '-u', 'contest', item, box);
        return Number(new RegExp(`${item}=(\\d+)`).exec(stdout)?.[1]);
      };
      const count = await status(from, 'messages');
      const first = await status('INBOX', 'uidnext');
      await adm('move', '-u', 'contest', 'INBOX', 'mailbox', from, 'all');
      return Array.from({ length: count }, (_, i) => first + i);
    },
    async killImapProcesses() {
      admin?.close();
      admin = undefined;
      return kill(await instancePids('imap'));
    },
    async recreateMailbox(name = 'INBOX') {
      const s = await session();
      await s.open(name);
      const saved: { raw: Buffer; date: Date | undefined }[] = [];
      for (const meta of await s.meta(await s.uidsAbove(0))) {
        const stream = await s.download(meta.uid);
        if (!stream) continue;
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(Buffer.from(chunk));
        saved.push({ raw: Buffer.concat(chunks), date: meta.internalDate ?? undefined });
      }
      await dropSession();
      // INBOX cannot be deleted over IMAP; empty it and give it a new UIDVALIDITY instead.
      await adm('expunge', '-u', 'contest', 'mailbox', name, 'all');
      const { stdout } = await adm(
        '-f',
        'flow',
        'mailbox',
        'status',
        '-u',
        'contest',
        'uidvalidity',
        name,
      );
      const current = Number(/uidvalidity=(\d+)/.exec(stdout)?.[1]);
      if (!Number.isFinite(current))
        throw new Error(`dovecot harness: no UIDVALIDITY in "${stdout}"`);
      await adm('mailbox', 'update', '-u', 'contest', '--uid-validity', String(current + 1), name);
      for (const m of saved) await append(m.raw, m.date, name);
    },
  };
}
