// The `intake` command (DESIGN.md §4). Configuration problems print one message listing all of
// them and exit 1, with no stack trace, as does a file or folder that cannot be used; usage
// errors exit 2.
import os from 'node:os';
import { Command, CommanderError } from 'commander';
import type { App, Role } from './app.js';
import { ConfigError, contestFileOf, loadEnv } from './config/env.js';
import { watchHeap } from './heap.mjs';
import { createLogger, type Logger } from './log.js';

// Roles load their modules on demand, so `intake --help` and `intake check` stay light.
const loadApp = () => import('./app.js');

const VERSION = '0.1.0';

async function runRoles(roles: Role[], allowPrivateRedis: boolean): Promise<number> {
  const env = loadEnv();
  const log = createLogger(env.logLevel);
  // Listening before anything starts: a Ctrl-C while starting stops what started, once it has.
  const signalled = waitForSignal(log);
  const { createApp } = await loadApp();
  const app = await createApp(env, {
    roles,
    log,
    allowPrivateRedis,
    concurrency: os.availableParallelism(),
  });
  try {
    await app.start();
  } catch (err) {
    // What had started (the poller, the workers, a private Redis) stops before the error shows.
    await app
      .stop()
      .catch((stopErr) => log.warn({ err: stopErr }, 'stopping after a failed start'));
    throw err;
  }
  // Runs for days: the main thread's heap is kept from growing to V8's next limit (heap.mjs).
  const heap = watchHeap();
  log.info(
    { roles, dataDir: env.dataDir, intake: env.imap.mode, replies: env.smtp.mode },
    'case-intake running',
  );
  await signalled;
  heap.stop();
  await app.stop();
  return 0;
}

/**
 * The first SIGTERM, SIGINT or SIGHUP (the terminal closed: the private Redis, in a session of
 * its own, does not get that one) drains. A repeat within a second is the same request passed on
 * (npm hands a terminal's Ctrl-C to its script, which had it already); a signal after that ends
 * the process at once, for a drain that waits on something that is gone.
 */
function waitForSignal(log: Logger): Promise<void> {
  return new Promise((resolve) => {
    let first = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (first === 0) {
        first = Date.now();
        log.info({ signal }, 'stopping: draining work in hand (a second signal ends it at once)');
        resolve();
      } else if (Date.now() - first >= 1_000) {
        log.warn(
          { signal },
          'second signal: ending now; the next start takes up what is unfinished',
        );
        // process.exit, not the signal's default: 'exit' listeners stop a private Redis.
        process.exit(128 + os.constants.signals[signal]);
      }
    };
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, onSignal);
  });
}

/**
 * `intake import`: every message at each path. A path or a folder's entry that cannot be read is
 * named on stderr and passed over, the rest go in, and the exit code is then 1.
 */
async function runImport(paths: string[]): Promise<number> {
  const env = loadEnv();
  const log = createLogger(env.logLevel);
  const { createApp } = await loadApp();
  const { fromPath } = await import('./intake/sources.js');
  let app: App | undefined;
  let added = 0;
  let known = 0;
  let unreadable = 0;
  const skip = (name: string, err: Error) => {
    unreadable++;
    process.stderr.write(`intake import: skipped ${name}: ${err.message}\n`);
  };
  try {
    app = await createApp(env, { roles: [], log });
    for (const target of paths) {
      // What cannot be read is skipped there; the ingest's own failures end the import.
      for await (const m of fromPath(target, skip)) {
        const r = await app.ingest({
          raw: m.raw,
          source: 'import',
          mailbox: 'import',
          receivedAt: m.receivedAt,
          receivedAtSource: m.receivedAtSource,
          originalName: m.name,
        });
        if (r.inserted) added++;
        else known++;
        if ((added + known) % 50 === 0) process.stderr.write(`… ${added + known} messages read\n`);
      }
    }
    return unreadable > 0 ? 1 : 0;
  } finally {
    // Said even when the import stopped partway: what was stored before stays stored.
    if (app) {
      const skipped = unreadable > 0 ? `; ${unreadable} could not be read` : '';
      process.stdout.write(
        `imported ${added} new message(s); ${known} were already stored${skipped}\n`,
      );
    }
    await app?.stop();
  }
}

/** A file or folder the command was pointed at that cannot be used (missing, not allowed). */
function isPathError(err: unknown): err is NodeJS.ErrnoException {
  const e = err as NodeJS.ErrnoException | undefined;
  return typeof e?.code === 'string' && typeof e.path === 'string';
}

type Action = (...args: never[]) => Promise<number>;

function program(setCode: (code: number) => void): Command {
  // Commander ignores an action's return value: keep it as the process exit code.
  const run =
    <A extends Action>(fn: A) =>
    async (...args: Parameters<A>) =>
      setCode(await fn(...args));
  const p = new Command('intake')
    .description('case-intake: runs the mailbox of a case-collection campaign')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError();
  p.command('start')
    .description('everything in one process: poller (or drop-folder watcher), workers, dashboard')
    .action(run(() => runRoles(['poll', 'worker', 'web'], true)));
  p.command('poll')
    .description('only the IMAP poller (or drop-folder watcher); one active per mailbox')
    .action(run(() => runRoles(['poll'], false)));
  p.command('worker')
    .description('only the queue workers (run as many as you like, on many machines)')
    .action(run(() => runRoles(['worker'], false)));
  p.command('web')
    .description(
      'only the dashboard (WEB_HOST, WEB_PORT, ADMIN_USER, ADMIN_PASSWORD, WEB_TRUST_PROXY)',
    )
    .action(run(() => runRoles(['web'], false)));
  p.command('report')
    .description('the validation report of all cases')
    .requiredOption('--format <format>', 'html | csv | xlsx | json')
    .option('--out <file>', 'write to this file instead of standard output')
    .action(
      run(async (opts: { format: string; out?: string }) => {
        const { runReport } = await import('./report/commands.js');
        return runReport(loadEnv(), opts, process.stdout, process.stderr);
      }),
    );
  p.command('reprocess')
    .description('re-run validation after a rule or profile change (replaces verdicts; audited)')
    .option('--case <id>', 'one case: its number (2025-0007) or id')
    .option('--all', 'every case')
    .action(
      run(async (opts: { case?: string; all?: boolean }) => {
        const { runReprocess } = await import('./report/commands.js');
        return runReprocess(loadEnv(), opts, process.stdout, process.stderr);
      }),
    );
  p.command('check')
    .description(
      'validate one message offline (no Redis, no database); exit 0 whatever the verdict',
    )
    .argument('<file>', 'an .eml file, or - for standard input')
    .option('--json', 'print the result as JSON')
    .option('--received-at <iso>', 'receive time (default: newest Received: header, else Date:)')
    .option('--contest <file>', 'contest profile (default: CONTEST_FILE, else contest-2025)')
    .action(
      run(async (file: string, opts: { json?: boolean; receivedAt?: string; contest?: string }) => {
        const { runCheck } = await import('./check.js');
        const contest = opts.contest ?? contestFileOf();
        return runCheck(file, { ...opts, contest }, process.stdout, process.stderr);
      }),
    );
  p.command('import')
    .description('ingest .eml files, folders, Maildir or mbox as if they had arrived (backfill)')
    .argument('<path...>', 'files or folders')
    .action(run((paths: string[]) => runImport(paths)));
  return p;
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  try {
    await program((c) => {
      code = c;
    }).parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; a usage error 2.
      return err.exitCode === 0 ? 0 : 2;
    }
    // The operator's to fix, told in one line, not as a stack trace.
    if (err instanceof ConfigError || isPathError(err)) {
      process.stderr.write(`intake: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
