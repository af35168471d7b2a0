import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";

/** The AWS provider the stacks pin (through @cdktf/provider-aws 20.1.0). */
export const AWS_PROVIDER = { namespace: "hashicorp", type: "aws", version: "5.100.0" };

const REGISTRY = "registry.terraform.io";

/** Terraform's name for this machine's platform, e.g. `linux_amd64`. */
export function terraformPlatform(): string {
  const arch =
    ({ x64: "amd64", arm64: "arm64", ia32: "386" } as Record<string, string>)[process.arch] ?? process.arch;
  return `${process.platform}_${arch}`;
}

/** The terraform binary's version line, or `undefined` when terraform is not on PATH. */
export function terraformVersion(): string | undefined {
  const result = spawnSync("terraform", ["version"], { encoding: "utf8" });
  return result.status === 0 ? result.stdout.split("\n")[0] : undefined;
}

/** Whether `dir` is a plugin directory holding the pinned AWS provider, unpacked or packed. */
function holdsProvider(dir: string): boolean {
  const { namespace, type, version } = AWS_PROVIDER;
  const providerDir = path.join(dir, REGISTRY, namespace, type);
  const unpacked = path.join(providerDir, version, terraformPlatform());
  if (
    existsSync(unpacked) &&
    readdirSync(unpacked).some((file) => file.startsWith(`terraform-provider-${type}`))
  )
    return true;
  return existsSync(
    path.join(providerDir, `terraform-provider-${type}_${version}_${terraformPlatform()}.zip`),
  );
}

/**
 * Finds a local provider mirror so `terraform init` works offline: `SLUICE_TF_PLUGIN_DIR`, then the
 * usual plugin folders, then a bounded search of the folders machines install such mirrors under.
 * `undefined` means none: init then downloads from the registry as usual.
 */
export function findProviderMirror(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const home = env.HOME ?? homedir();
  const candidates = [
    env.SLUICE_TF_PLUGIN_DIR,
    env.TF_PLUGIN_CACHE_DIR,
    path.join(home, ".terraform.d", "plugins"),
    path.join(env.XDG_DATA_HOME ?? path.join(home, ".local", "share"), "terraform", "plugins"),
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
  ].filter((dir): dir is string => Boolean(dir));
  const known = candidates.find(holdsProvider);
  if (known) return known;

  const roots = ["/opt", "/usr/local", "/usr/share", "/srv", "/var/lib", home].filter((root) =>
    existsSync(root),
  );
  const found = spawnSync(
    "find",
    [
      ...roots,
      "-maxdepth",
      "8",
      "(",
      "-name",
      "node_modules",
      "-o",
      "-name",
      ".terraform",
      "-o",
      "-name",
      ".git",
      ")",
      "-prune",
      "-o",
      "-path",
      `*/${REGISTRY}/${AWS_PROVIDER.namespace}/${AWS_PROVIDER.type}/*`,
      "-name",
      `terraform-provider-${AWS_PROVIDER.type}_*`,
      "-print",
    ],
    { encoding: "utf8" },
  );
  for (const file of found.stdout.split("\n").filter(Boolean)) {
    const root = file.slice(0, file.indexOf(`/${REGISTRY}/`));
    if (holdsProvider(root)) return root;
  }
  return undefined;
}

/**
 * A provider override that lets validate and plan run without AWS credentials or network:
 * no credential, account, region or metadata checks (the account pin is for real deploys).
 */
export function writeOfflineProviderOverride(stackDir: string, region: string): void {
  const aws = {
    region,
    access_key: "AKIAIOSFODNN7EXAMPLE",
    secret_key: "offline-plan-only",
    skip_credentials_validation: true,
    skip_requesting_account_id: true,
    skip_metadata_api_check: true,
    skip_region_validation: true,
    allowed_account_ids: null,
  };
  writeFileSync(
    path.join(stackDir, "offline_override.tf.json"),
    JSON.stringify({ provider: { aws: [aws] } }),
  );
}

/** Runs terraform in `cwd`, throwing its full output on failure. */
export function terraform(cwd: string, args: string[]): string {
  try {
    return execFileSync("terraform", args, {
      cwd,
      encoding: "utf8",
      maxBuffer: 512 * 1024 * 1024,
      env: { ...process.env, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    throw new Error(
      `terraform ${args.join(" ")} failed in ${cwd}:\n${failed.stdout ?? ""}\n${failed.stderr ?? ""}`,
    );
  }
}

/** The JSON plan of a synthesised stack folder: init (offline when a mirror is found), validate, plan, show. */
export function planStack(stackDir: string, region: string, mirror: string | undefined): TerraformPlan {
  writeOfflineProviderOverride(stackDir, region);
  terraform(stackDir, ["init", "-no-color", ...(mirror ? [`-plugin-dir=${mirror}`] : [])]);
  terraform(stackDir, ["validate", "-no-color"]);
  terraform(stackDir, ["plan", "-no-color", "-lock=false", "-out=plan.tfplan"]);
  return JSON.parse(terraform(stackDir, ["show", "-json", "plan.tfplan"]));
}

/** The parts of `terraform show -json` the plan tests read. */
export interface TerraformPlan {
  resource_changes: ResourceChange[];
  configuration: {
    root_module: {
      resources: { address: string; type: string; expressions: Record<string, Expression | Expression[]> }[];
    };
  };
}

/** One resource of the plan: its planned values, and which of them are known only after apply. */
export interface ResourceChange {
  address: string;
  type: string;
  change: { actions: string[]; after: Record<string, unknown>; after_unknown: Record<string, unknown> };
}

/** An attribute expression in the plan's configuration: a constant or references to other resources. */
export interface Expression {
  constant_value?: unknown;
  references?: string[];
}
