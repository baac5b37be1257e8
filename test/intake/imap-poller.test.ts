// The poller scenarios with the reference in-memory sink; the store's own test re-runs the same
// scenarios on SQLite and PostgreSQL with `runPollerScenarios(makeStoreSink, 'sqlite')`.
import { createMemorySink } from './poller-rig.js';
import { runPollerScenarios } from './poller-scenarios.js';

runPollerScenarios(() => createMemorySink(), 'in-memory sink');
