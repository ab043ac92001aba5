// vitest globalSetup: one throw-away PostgreSQL server per test run; tests
// isolate themselves with a database each (createDatabase). Reached with
// inject('postgres').
import type { TestProject } from 'vitest/node';
import './provided.js';
import { startPostgres } from './server.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startPostgres();
  project.provide('postgres', { host: server.host, port: server.port, user: server.user, password: server.password });
  return () => server.stop();
}
