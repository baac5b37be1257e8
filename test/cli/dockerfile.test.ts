// The image runs the service as `npm start` does (the process `npm run bench` measures): the
// same allocator variables and the same node flags; so do the extra workers of the compose file.
// It also installs as `npm ci` does here, local fixes to dependencies included.
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

  it('has the postinstall script in place before npm ci runs it', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const script = /^node (\S+)$/.exec(pkg.scripts.postinstall)?.[1];
    expect(script).toBeDefined();
    const copied = dockerfile.indexOf(`\nCOPY ${script} `);
    expect(copied).toBeGreaterThan(-1);
    expect(copied).toBeLessThan(dockerfile.indexOf('\nRUN npm ci'));
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
