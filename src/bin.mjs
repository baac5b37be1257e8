#!/usr/bin/env node
// The `intake` command from source: TypeScript runs as-is through tsx, so `npx intake` works
// right after `npm ci` and always runs the code as it is now. `npm start` runs the build
// (dist/main.js), which spares the service tsx's loader thread in every thread (issue 7).
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
