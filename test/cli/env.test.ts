// The environment as src/config/env.ts reads it: defaults, and what each problem is called.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadEnv } from '../../src/config/env.js';

const problemsOf = (source: Record<string, string>) => {
  try {
    loadEnv(source);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('loadEnv', () => {
  it('takes an empty variable (`LOG_LEVEL=` in an env file) as unset', () => {
    const env = loadEnv({ LOG_LEVEL: '', DATA_DIR: ' ', REDIS_URL: '', WEB_PORT: '' });
    expect(env).toMatchObject({ logLevel: 'info', redisUrl: undefined, web: { port: 8080 } });
    expect(env.dataDir).toMatch(/\/data$/);
  });

  it('names each variable once in its problem', () => {
    expect(problemsOf({ IMAP_HOST: 'imap.example.org', LOG_LEVEL: 'loud' })).toEqual([
      expect.stringMatching(/^LOG_LEVEL: .*\(got "loud"\)$/),
      'IMAP_USER: is required when IMAP_HOST is set',
      'IMAP_PASSWORD: is required when IMAP_HOST is set',
    ]);
  });
});
