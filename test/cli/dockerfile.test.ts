// The image runs the service as `npm start` does (the process `npm run bench` measures): the
// same allocator variables and the same node flags; so do the extra workers of the compose file.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startScript } from '../../scripts/bench/pipeline.js';

const dockerfile = readFileSync(new URL('../../config/Dockerfile', import.meta.url), 'utf8');
const compose = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');

describe('config/Dockerfile and docker-compose.yml', () => {
  it('sets the allocator variables of npm start', () => {
    const env: Record<string, string> = {};
    for (const [, line] of dockerfile.matchAll(/^ENV (.+)$/gm)) {
      for (const pair of line?.split(/\s+/) ?? []) {
        const [key, ...value] = pair.split('=');
        if (key) env[key] = value.join('=');
      }
    }
    const { env: start } = startScript();
    expect(Object.keys(start).length).toBeGreaterThan(0);
    for (const [key, value] of Object.entries(start)) expect(env[key], key).toBe(value);
  });

  it('passes node the flags of npm start', () => {
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(cmd).toBeDefined();
    const args = JSON.parse(cmd ?? '[]') as string[];
    expect(args).toEqual(['node', ...startScript().nodeArgs, 'dist/main.js', 'start']);
  });

  it('runs the extra workers of docker-compose.yml with the same flags', () => {
    const commands = [...compose.matchAll(/^\s+command: (\["node".*\])$/gm)].map(
      ([, c]) => JSON.parse(c ?? '[]') as string[],
    );
    expect(commands).toEqual([['node', ...startScript().nodeArgs, 'dist/main.js', 'worker']]);
  });
});
