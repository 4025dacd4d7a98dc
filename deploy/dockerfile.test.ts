import { describe, expect, test } from "bun:test";
import { parseConfig } from "../src/config/config.ts";

const ROOT = `${import.meta.dir}/..`;
const PROXY_PORT = 8080;
const CONTROL_PORT = 8081;
const NON_ROOT_UID = 65532;
const SEED_ENV = {
  GATEWAY_BIND_ADDR: "0.0.0.0:8080",
  GATEWAY_CONTROL_BIND_ADDR: "0.0.0.0:8081",
  LOG_LEVEL: "gateway_api=info,gateway_proxy=info",
};

// --- Dockerfile --------------------------------------------------------------------------

interface Instruction { op: string; args: string }

/** Instructions in order: comments dropped, `\` continuations joined. */
function parseDockerfile(text: string): Instruction[] {
  const logical = text
    .split("\n")
    .filter((line) => !/^\s*#/.test(line))
    .join("\n")
    .replace(/\\\n/g, " ");
  return logical
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => {
      const [op = "", ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(" ") };
    });
}

/** Splits instructions at FROM; each stage starts with its FROM. */
function stagesOf(instructions: Instruction[]): Instruction[][] {
  const stages: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.op === "FROM") stages.push([]);
    stages.at(-1)?.push(instruction);
  }
  return stages;
}

function envOf(stage: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { op, args } of stage) {
    if (op !== "ENV") continue;
    for (const pair of args.split(/\s+/)) {
      const at = pair.indexOf("=");
      if (at > 0) env[pair.slice(0, at)] = pair.slice(at + 1).replace(/^"(.*)"$/, "$1");
    }
  }
  return env;
}

const dockerfile = parseDockerfile(await Bun.file(`${ROOT}/Dockerfile`).text());
const stages = stagesOf(dockerfile);
const buildStage = stages[0] ?? [];
const runtime = stages.at(-1) ?? [];
const args = (stage: Instruction[], op: string) => stage.filter((i) => i.op === op).map((i) => i.args);

describe("Dockerfile", () => {
  test("builds in a pinned Bun stage and ships a separate runtime stage", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(args(buildStage, "FROM")[0]).toMatch(/^oven\/bun:\d+\.\d+\.\d+\S* AS build$/i);
    expect(args(runtime, "FROM")[0]).not.toMatch(/oven\/bun/);
  });

  test("installs from the lockfile, then runs the project build", () => {
    const runs = args(buildStage, "RUN");
    const install = runs.findIndex((r) => /\bbun install\b.*--frozen-lockfile/.test(r));
    const build = runs.findIndex((r) => /\bbun run build\b/.test(r));
    expect(install).toBeGreaterThanOrEqual(0);
    expect(build).toBeGreaterThan(install);
    expect(args(buildStage, "COPY")[0]).toMatch(/\bpackage\.json\b.*\bbun\.lock\b/);
  });

  test("the runtime image holds only the compiled executable from the build stage", () => {
    const copies = args(runtime, "COPY");
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) expect(copy).toMatch(/--from=build\b/);
    expect(copies).toContain("--from=build /src/dist/relayna-gateway /usr/local/bin/relayna-gateway");
    expect(args(runtime, "ENTRYPOINT")).toEqual(['["/usr/local/bin/relayna-gateway"]']);
    expect(args(runtime, "RUN")).toEqual([]);
  });

  test("runs as a numeric non-root user", () => {
    const users = args(runtime, "USER");
    expect(users).toHaveLength(1);
    const uid = Number(/^(\d+)(?::\d+)?$/.exec(users[0] ?? "")?.[1]);
    expect(uid).toBe(NON_ROOT_UID);
  });

  test("exposes both listeners and defaults the seed's listener and log env", () => {
    expect(args(runtime, "EXPOSE")).toEqual([`${PROXY_PORT} ${CONTROL_PORT}`]);
    const env = envOf(runtime);
    expect(env).toMatchObject(SEED_ENV);
    expect(parseConfig(env)).toMatchObject({ ok: true });
    expect(args(runtime, "STOPSIGNAL")).toEqual(["SIGTERM"]);
  });

  test("bakes in no secrets", () => {
    for (const { op, args: text } of dockerfile) {
      if (op !== "ENV" && op !== "ARG") continue;
      expect(text).not.toMatch(/\b(DATABASE_URL|REDIS_URL|\w+_KEY|\w+_TOKEN|\w*PASSWORD)\b/);
    }
  });

  test(".dockerignore keeps dependencies, build output, git and env files out of the context", async () => {
    const ignored = (await Bun.file(`${ROOT}/.dockerignore`).text()).split("\n").map((l) => l.trim());
    for (const entry of ["**/node_modules", "dist", "web/dist", ".git", ".env", ".data"]) {
      expect(ignored).toContain(entry);
    }
  });
});
