import { GetSecretValueCommand, type GetSecretValueCommandOutput } from "@aws-sdk/client-secrets-manager";
import {
  ConfigError,
  ENV,
  intFromEnv,
  type LoadTarget,
  type QueryResult,
  requireEnv,
  type SqlSession,
} from "@sluice/core";
import { Pool, type PoolConfig } from "pg";
import { DEFAULT_CONNECT_TIMEOUT_MS, PgLoadTarget } from "./targets/pg";

/** The part of a Secrets Manager client the loader uses (the SDK's `SecretsManagerClient` fits). */
export interface SecretsReader {
  send(command: GetSecretValueCommand): Promise<GetSecretValueCommandOutput>;
}

/** Username and password from an RDS-managed secret. */
export interface DatabaseCredentials {
  username: string;
  password: string;
}

/** How long a fetched secret is reused before it is read again (rotation takes effect after it). */
export const DEFAULT_SECRET_TTL_MS = 5 * 60_000;

/**
 * The credentials of the RDS-managed secret at `secretArn`, read once and cached for `ttlMs`,
 * so each new connection costs no Secrets Manager call while a rotated password is still picked
 * up within the TTL.
 */
export class SecretCredentials {
  #cached: { value: Promise<DatabaseCredentials>; at: number } | undefined;

  constructor(
    private readonly client: SecretsReader,
    private readonly secretArn: string,
    private readonly ttlMs = DEFAULT_SECRET_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<DatabaseCredentials> {
    const cached = this.#cached;
    if (cached && this.now() - cached.at < this.ttlMs) return cached.value;
    const value = this.#fetch();
    this.#cached = { value, at: this.now() };
    // A failed read must not be cached: the next connection tries again.
    value.catch(() => {
      if (this.#cached?.value === value) this.#cached = undefined;
    });
    return value;
  }

  async #fetch(): Promise<DatabaseCredentials> {
    const output = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretArn }));
    let parsed: unknown;
    try {
      parsed = JSON.parse(output.SecretString ?? "");
    } catch {
      throw new ConfigError(`secret ${this.secretArn} is not JSON with username and password`, {
        secretArn: this.secretArn,
      });
    }
    const { username, password } = (parsed ?? {}) as Partial<DatabaseCredentials>;
    if (typeof username !== "string" || typeof password !== "string") {
      throw new ConfigError(`secret ${this.secretArn} lacks username or password`, {
        secretArn: this.secretArn,
      });
    }
    return { username, password };
  }
}

/**
 * The `pg` pool settings from the environment: `DATABASE_URL` as it is, or
 * `SLUICE_DATABASE_HOST`/`PORT`/`NAME` with the username and password of the RDS-managed secret
 * at `SLUICE_DATABASE_SECRET_ARN`, over verified TLS. The password is read per new connection
 * (through the cache), so a rotation needs no restart. A connection not made within
 * {@link DEFAULT_CONNECT_TIMEOUT_MS} fails the load as the database being unavailable (retried).
 */
export async function poolConfigFromEnv(
  env: NodeJS.ProcessEnv,
  secrets: () => SecretsReader,
  options: { max?: number } = {},
): Promise<PoolConfig> {
  const max = options.max ?? 1;
  const url = env[ENV.databaseUrl];
  const connectionTimeoutMillis = DEFAULT_CONNECT_TIMEOUT_MS;
  if (url) return { connectionString: url, max, connectionTimeoutMillis };
  const credentials = new SecretCredentials(secrets(), requireEnv(ENV.databaseSecretArn, env));
  const { username } = await credentials.get();
  return {
    host: requireEnv(ENV.databaseHost, env),
    port: intFromEnv(ENV.databasePort, 5432, env),
    database: requireEnv(ENV.databaseName, env),
    user: username,
    password: async () => (await credentials.get()).password,
    ssl: { rejectUnauthorized: true },
    max,
    connectionTimeoutMillis,
  };
}

/**
 * A {@link LoadTarget} opened on first use: lets a Lambda build its handler at module scope while
 * the async parts (reading the database secret) wait for the first invocation. A failed open
 * is retried by the next call.
 */
export class DeferredLoadTarget implements LoadTarget {
  #target: Promise<LoadTarget> | undefined;

  constructor(private readonly open: () => Promise<LoadTarget>) {}

  #get(): Promise<LoadTarget> {
    if (!this.#target) {
      const opening = this.open();
      this.#target = opening;
      opening.catch(() => {
        if (this.#target === opening) this.#target = undefined;
      });
    }
    return this.#target;
  }

  async transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    return (await this.#get()).transaction(work);
  }

  async query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<QueryResult<Row>> {
    return (await this.#get()).query<Row>(text, params);
  }

  async close(): Promise<void> {
    if (this.#target) await (await this.#target).close();
  }
}

/** True when `url` names a Postgres server rather than an embedded PGlite database. */
export function isServerUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/**
 * True when the environment names a database to load into: `DATABASE_URL`, or the RDS-managed
 * secret (`SLUICE_DATABASE_SECRET_ARN`, with host, port and name) the stacks give the loader.
 */
export function databaseConfigured(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env[ENV.databaseUrl] || env[ENV.databaseSecretArn]);
}

/**
 * The loader's database, as its Lambda opens it: a {@link PgLoadTarget} over a pool of one
 * connection configured by {@link poolConfigFromEnv}, opened on first use (so a process builds it
 * before its secret is read). A connection that breaks fails its load and is replaced;
 * `onIdleError` hears of an idle one that died. The legacy-wrapper task opens the same.
 */
export function loadTargetFromEnv(
  env: NodeJS.ProcessEnv,
  secrets: () => SecretsReader,
  onIdleError: (error: Error) => void,
): DeferredLoadTarget {
  return new DeferredLoadTarget(
    async () => new PgLoadTarget(new Pool(await poolConfigFromEnv(env, secrets)), { onIdleError }),
  );
}
