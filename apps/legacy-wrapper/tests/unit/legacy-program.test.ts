import { runLegacyProgram } from "../../src/legacy-program";
import { silentLogger } from "../support/memory";

const node = process.execPath;
const limits = { timeoutMs: 10_000, killGraceMs: 500, stderrTailBytes: 1024, logLinesMax: 100 };

describe("runLegacyProgram", () => {
  it("reports the exit code and stderr tail of a program that fails", async () => {
    const result = await runLegacyProgram(
      { argv: [node, "-e", "console.error('cannot parse record 7'); process.exit(3)"], ...limits },
      silentLogger(),
    );

    expect(result).toMatchObject({ status: "exited", exitCode: 3 });
    expect(result.stderrTail).toBe("cannot parse record 7\n");
  });

  it("passes each argv element as one argument, with no shell to interpret it", async () => {
    const hostile = "$(echo pwned); `id` > /tmp/x; echo";

    const result = await runLegacyProgram(
      { argv: [node, "-e", "console.error(JSON.stringify(process.argv.slice(1)))", hostile], ...limits },
      silentLogger(),
    );

    expect(JSON.parse(result.stderrTail)).toEqual([hostile]);
  });

  it("stops a program that runs past its time limit, SIGKILL when it ignores SIGTERM", async () => {
    const started = Date.now();

    const result = await runLegacyProgram(
      {
        // `trap` is the shell's first command, so SIGTERM is ignored long before the time limit
        // (a node program would need its own startup time first: too slow on a loaded machine).
        argv: ["sh", "-c", "trap '' TERM; while :; do sleep 1; done"],
        ...limits,
        timeoutMs: 2_000,
        killGraceMs: 300,
      },
      silentLogger(),
    );

    expect(result.status).toBe("timed-out");
    expect(result.signal).toBe("SIGKILL");
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("stops the program's own children too when it is stopped", async () => {
    const script =
      "require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'inherit' }); setInterval(() => {}, 1000)";

    const result = await runLegacyProgram(
      { argv: [node, "-e", script], ...limits, timeoutMs: 300 },
      silentLogger(),
    );

    // `close` only fires once every holder of the pipes (the grandchild too) is gone.
    expect(result.status).toBe("timed-out");
  });

  it("stops the program with SIGTERM when the task is asked to stop", async () => {
    const stopping = new AbortController();
    setTimeout(() => stopping.abort(), 200);

    const result = await runLegacyProgram(
      { argv: [node, "-e", "setInterval(() => {}, 1000)"], ...limits, signal: stopping.signal },
      silentLogger(),
    );

    expect(result).toMatchObject({ status: "stopped", signal: "SIGTERM" });
  });

  it("keeps only the tail of a flood of stderr and logs a bounded number of lines", async () => {
    const logger = silentLogger();
    const warn = jest.spyOn(logger, "warn");
    const flood =
      "for (let i = 0; i < 100000; i++) process.stderr.write('line ' + i + ' ' + 'x'.repeat(40) + '\\n'); process.exitCode = 1";

    const result = await runLegacyProgram({ argv: [node, "-e", flood], ...limits }, logger);

    expect(result).toMatchObject({ status: "exited", exitCode: 1 });
    expect(result.stderrBytes).toBeGreaterThan(4_000_000);
    expect(Buffer.byteLength(result.stderrTail)).toBeLessThanOrEqual(1024);
    expect(result.stderrTail.endsWith(`line 99999 ${"x".repeat(40)}\n`)).toBe(true);
    const programLines = warn.mock.calls.filter(([message]) => message === "legacy program stderr");
    expect(programLines).toHaveLength(100);
  });

  it("reports a program that cannot be started instead of throwing", async () => {
    const result = await runLegacyProgram(
      { argv: ["/nonexistent/legacy-program"], ...limits },
      silentLogger(),
    );

    expect(result.status).toBe("not-started");
    expect(result.startError).toContain("ENOENT");
  });
});
