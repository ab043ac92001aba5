import './provided.js';
export { postgresBinDir, installPostgres, unprivilegedUser, DEFAULT_PG_BIN, PG_USER } from './install.js';
export {
  startPostgres,
  createDatabase,
  queryAs,
  postgresUrl,
  SUPERUSER,
  type PostgresConnection,
  type PostgresServer,
} from './server.js';
