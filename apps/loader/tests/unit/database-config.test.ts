import type { GetSecretValueCommand, GetSecretValueCommandOutput } from "@aws-sdk/client-secrets-manager";
import { ConfigError } from "@sluice/core";
import { poolConfigFromEnv, SecretCredentials, type SecretsReader } from "../../src/database";

class FakeSecrets implements SecretsReader {
  calls: string[] = [];
  constructor(public secret: string | undefined) {}
  async send(command: GetSecretValueCommand): Promise<GetSecretValueCommandOutput> {
    this.calls.push(String(command.input.SecretId));
    return { SecretString: this.secret, $metadata: {} };
  }
}

const ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-abc";

describe("poolConfigFromEnv", () => {
  test("uses DATABASE_URL as it is when set", async () => {
    const secrets = new FakeSecrets(undefined);

    const config = await poolConfigFromEnv({ DATABASE_URL: "postgres://u:p@db:5432/sluice" }, () => secrets);

    expect(config).toMatchObject({ connectionString: "postgres://u:p@db:5432/sluice", max: 1 });
    expect(secrets.calls).toHaveLength(0);
  });

  test("reads host, port and name from the environment and the credentials from the RDS secret, over TLS", async () => {
    const secrets = new FakeSecrets(JSON.stringify({ username: "sluice_loader", password: "s3cret" }));
    const env = {
      SLUICE_DATABASE_HOST: "db.cluster-xyz.eu-west-1.rds.amazonaws.com",
      SLUICE_DATABASE_PORT: "5433",
      SLUICE_DATABASE_NAME: "sluice",
      SLUICE_DATABASE_SECRET_ARN: ARN,
    };

    const config = await poolConfigFromEnv(env, () => secrets);
    const password = typeof config.password === "function" ? await config.password() : config.password;

    expect(config).toMatchObject({
      host: env.SLUICE_DATABASE_HOST,
      port: 5433,
      database: "sluice",
      user: "sluice_loader",
      ssl: { rejectUnauthorized: true },
    });
    expect(password).toBe("s3cret");
    expect(secrets.calls).toEqual([ARN]);
  });

  test("names the missing variable when neither a URL nor the host settings are given", async () => {
    const error = await poolConfigFromEnv({}, () => new FakeSecrets(undefined)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain("SLUICE_DATABASE_SECRET_ARN");
  });
});

describe("SecretCredentials", () => {
  test("reuses the secret within its TTL and reads it again after, so a rotation is picked up", async () => {
    const secrets = new FakeSecrets(JSON.stringify({ username: "u", password: "old" }));
    let now = 0;
    const credentials = new SecretCredentials(secrets, ARN, 1000, () => now);

    const first = await credentials.get();
    secrets.secret = JSON.stringify({ username: "u", password: "new" });
    now = 999;
    const cached = await credentials.get();
    now = 1000;
    const rotated = await credentials.get();

    expect([first.password, cached.password, rotated.password]).toEqual(["old", "old", "new"]);
    expect(secrets.calls).toHaveLength(2);
  });

  test("refuses a secret without a username or password, naming it", async () => {
    const credentials = new SecretCredentials(new FakeSecrets(JSON.stringify({ username: "u" })), ARN);

    await expect(credentials.get()).rejects.toThrow(`secret ${ARN} lacks username or password`);
  });
});
