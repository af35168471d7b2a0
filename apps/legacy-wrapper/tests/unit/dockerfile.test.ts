import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { type Copy, DockerfileParser, type Env, type From, type Instruction } from "dockerfile-ast";
import { DEFAULT_LEGACY_COMMAND, SAMPLE_PROGRAM } from "../../src/config";

const repoRoot = join(__dirname, "..", "..", "..", "..");
const dockerfilePath = join(repoRoot, "docker", "legacy-wrapper", "Dockerfile");
const dockerfile = DockerfileParser.parse(readFileSync(dockerfilePath, "utf8"));

interface Stage {
  from: From;
  name: string | null;
  instructions: Instruction[];
}

/** The Dockerfile's stages, each with the instructions after its FROM. */
function stagesOf(): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === "FROM") {
      const from = instruction as From;
      stages.push({ from, name: from.getBuildStage(), instructions: [] });
    } else stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

const stages = stagesOf();
const runtime = stages.at(-1)!;
const ofKeyword = (stage: Stage, keyword: string) =>
  stage.instructions.filter((i) => i.getKeyword() === keyword);
const argsOf = (instruction: Instruction) => instruction.getArguments().map((a) => a.getValue());

/** Where a stage's WORKDIR puts a relative destination. */
function workdirOf(stage: Stage): string {
  const workdir = ofKeyword(stage, "WORKDIR").at(-1);
  return workdir ? argsOf(workdir)[0]! : "/";
}

describe("docker/legacy-wrapper/Dockerfile", () => {
  it("is multi-stage and pins every external base image by version, never latest", () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    const stageNames = new Set(stages.map((s) => s.name).filter((n): n is string => n !== null));
    const external = stages.filter((s) => !stageNames.has(s.from.getImageName() ?? ""));

    expect(external.length).toBeGreaterThan(0);
    for (const { from } of external) {
      const tag = from.getImageTag();
      expect(from.getImageName()).toBe("node");
      expect(tag).not.toBeNull();
      expect(tag).not.toBe("latest");
      expect(tag).toMatch(/^\d+\.\d+\.\d+-bookworm-slim$/);
    }
  });

  it("prunes the workspace to the wrapper and installs from the frozen lockfile", () => {
    const runs = stages.flatMap((s) => ofKeyword(s, "RUN")).map((r) => r.getArgumentsContent() ?? "");

    expect(runs.some((r) => /turbo prune @sluice\/legacy-wrapper --docker/.test(r))).toBe(true);
    expect(runs.some((r) => /pnpm install --frozen-lockfile/.test(r))).toBe(true);
  });

  it("runs the runtime stage as a non-root user", () => {
    const user = ofKeyword(runtime, "USER").at(-1);

    expect(user).toBeDefined();
    expect(argsOf(user!)[0]).not.toMatch(/^(root|0)(:.*)?$/);
  });

  it("starts the bundled entrypoint with node, in exec form", () => {
    const entrypoint = ofKeyword(runtime, "ENTRYPOINT").at(-1) as Copy | undefined;

    expect(entrypoint?.getJSONStrings().map((s) => s.getJSONValue())).toEqual([
      "node",
      "/app/entrypoint.mjs",
    ]);
    const copied = ofKeyword(runtime, "COPY").map((c) => argsOf(c));
    const target = copied.find(
      (args) => posix.resolve(workdirOf(runtime), args.at(-1)!) === "/app/entrypoint.mjs",
    );
    expect(target?.[0]).toMatch(/apps\/legacy-wrapper\/dist\/entrypoint\.mjs$/);
  });

  it("checks at build time that the shipped program's interpreter reads UTF-8 by characters", () => {
    const [interpreter, unicode] = DEFAULT_LEGACY_COMMAND;
    const checks = ofKeyword(runtime, "RUN")
      .map((r) => r.getArgumentsContent() ?? "")
      .filter((r) => r.includes(`${interpreter} ${unicode}`));

    expect([interpreter, unicode]).toEqual(["perl", "-CSD"]);
    expect(checks).toHaveLength(1);
    // This machine runs Debian bookworm, as the image does: the check passes here as in the build,
    // and fails without -CSD (perl would count the bytes of "é").
    expect(() => execFileSync("/bin/sh", ["-c", checks[0]!], { stdio: "pipe" })).not.toThrow();
    expect(() =>
      execFileSync("/bin/sh", ["-c", checks[0]!.replace(` ${unicode} `, " ")], { stdio: "pipe" }),
    ).toThrow();
  });

  it("runs with a UTF-8 locale and copies the shipped program", () => {
    const env = (ofKeyword(runtime, "ENV") as Env[]).flatMap((e) => e.getProperties());

    expect(env.find((p) => p.getName() === "LC_ALL")?.getValue()).toBe("C.UTF-8");
    const legacyCopy = ofKeyword(runtime, "COPY")
      .map((c) => argsOf(c))
      .find((args) => posix.resolve(workdirOf(runtime), args.at(-1)!).startsWith("/app/legacy"));
    expect(legacyCopy).toBeDefined();
    expect(existsSync(join(repoRoot, "apps/legacy-wrapper/dist/legacy", SAMPLE_PROGRAM))).toBe(true);
  });

  it("trusts the RDS certificate authorities the load's verified TLS needs, in a file the image adds", () => {
    const env = (ofKeyword(runtime, "ENV") as Env[]).flatMap((e) => e.getProperties());
    const caFile = env.find((p) => p.getName() === "NODE_EXTRA_CA_CERTS")?.getValue();
    const added = ofKeyword(runtime, "ADD").map((a) => argsOf(a).filter((arg) => !arg.startsWith("--")));

    expect(caFile).toBeDefined();
    const bundle = added.find((args) => posix.resolve(workdirOf(runtime), args.at(-1)!) === caFile);
    expect(bundle?.[0]).toMatch(/^https:\/\/truststore\.pki\.rds\.amazonaws\.com\//);
  });

  it("copies only files that exist: the build context, and the build stage's outputs after pnpm build", () => {
    const missing: string[] = [];
    for (const stage of stages) {
      for (const copy of ofKeyword(stage, "COPY") as Copy[]) {
        const from = copy.getFromFlag()?.getValue();
        const sources = argsOf(copy).slice(0, -1);
        for (const source of sources) {
          // The build stage works in /repo: its outputs are the repository's own after `pnpm build`.
          const path =
            from === undefined
              ? join(repoRoot, source)
              : from === "build"
                ? join(repoRoot, source.replace(/^\/repo\//, ""))
                : undefined;
          if (path !== undefined && !existsSync(path)) missing.push(`${from ?? "context"}: ${source}`);
        }
      }
    }

    expect(missing).toEqual([]);
  });

  it("copies from the prune stage only folders turbo prune --docker makes", () => {
    const out = mkdtempSync(join(tmpdir(), "sluice-prune-"));
    try {
      const turbo = join(repoRoot, "node_modules", ".bin", "turbo");
      execFileSync(turbo, ["prune", "@sluice/legacy-wrapper", "--docker", "--out-dir", out], {
        cwd: repoRoot,
        stdio: "pipe",
      });
      const pruneCopies = stages
        .flatMap((s) => ofKeyword(s, "COPY") as Copy[])
        .filter((c) => c.getFromFlag()?.getValue() === "prune")
        .map((c) => argsOf(c)[0]!);

      expect(pruneCopies.length).toBeGreaterThan(0);
      for (const source of pruneCopies)
        expect(existsSync(join(out, source.replace(/^\/pruned\/?/, "")))).toBe(true);
      expect(existsSync(join(out, "json", "apps", "legacy-wrapper", "package.json"))).toBe(true);
      expect(existsSync(join(out, "full", "apps", "legacy-wrapper", "src", "entrypoint.ts"))).toBe(true);
      // The wrapper stages through the staging package, not through the transform app.
      expect(existsSync(join(out, "full", "packages", "staging", "src", "index.ts"))).toBe(true);
      expect(existsSync(join(out, "full", "apps", "transform"))).toBe(false);
      // It loads what it staged with the loader's own code.
      expect(existsSync(join(out, "full", "apps", "loader", "src", "load.ts"))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
