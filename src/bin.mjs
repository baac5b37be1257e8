#!/usr/bin/env node
// The `intake` command. TypeScript runs as-is through tsx, so `npx intake` works right after
// `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2));
