// Shared by the document tests: the real contest profile and the committed fixtures.
import { readFileSync } from 'node:fs';
import { loadContest } from '../../src/config/contest.js';

export const profile = loadContest();
export const fixtureDir = new URL('../../fixtures/documents/', import.meta.url).pathname;
export const fixture = (name: string) => readFileSync(fixtureDir + name);
