// `node --import tsx --import ./record-imports.mjs script`: every module URL the script's thread
// resolves is added to globalThis.importedUrls (a Set), so a test can tell what a code path
// loaded. Module hooks run on a thread of their own; they report here over a MessagePort.
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';

const { port1, port2 } = new MessageChannel();
globalThis.importedUrls = new Set();
port1.on('message', (url) => globalThis.importedUrls.add(url));
port1.unref();
register('./record-imports-hooks.mjs', import.meta.url, {
  data: { port: port2 },
  transferList: [port2],
});
