// What the global setup hands every test file: inject('postgres').
import type {} from 'vitest';
import type { PostgresConnection } from './server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgres: PostgresConnection;
  }
}
