/** The printed report: one table per scenario, the gateway-vs-bare claims, the ledger check. */
import type { ScenarioStats, TargetStats, UnloadedStats } from "./aggregate.ts";
import type { Scenario } from "./scenarios.ts";
import type { TargetId } from "./stack.ts";
import type { Spread } from "./stats.ts";

/** The targets the README states; the benchmark reports against them, it does not enforce them. */
export const GOALS = { rpsRatio: 0.7, addedP50Ms: 1, ttfbDeltaMs: 1 } as const;
/** Variant key vs plain key: limits within 10%; guarded streams ≥ 80% and TTFB within 2 ms. */
export const VARIANT_GOALS = { limitsRpsRatio: 0.9, guardedStreamRpsRatio: 0.8, guardedTtfbDeltaMs: 2 } as const;

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(3) : "—");
const signedMs = (value: number) => (Number.isFinite(value) ? `${value >= 0 ? "+" : ""}${value.toFixed(3)}` : "—");
const whole = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : "—");
const ratio = (value: number) => (Number.isFinite(value) ? value.toFixed(3) : "—");
const range = (s: Spread, format: (v: number) => string) => `${format(s.min)}–${format(s.max)}`;

interface Column {
  header: string;
  cell: (id: string, t: TargetStats) => string;
  left?: boolean;
}

function render(columns: Column[], rows: [string, TargetStats][]): string[] {
  const cells = rows.map(([id, t]) => columns.map((c) => c.cell(id, t)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) =>
    values.map((v, i) => (columns[i]!.left ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join("  ").trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)];
}

function columnsFor(scenario: Scenario): Column[] {
  return [
    { header: "target", cell: (id) => id, left: true },
    { header: "req/s", cell: (_, t) => whole(t.rps.median) },
    { header: "req/s min–max", cell: (_, t) => range(t.rps, whole) },
    { header: "p50 ms", cell: (_, t) => ms(t.p50.median) },
    { header: "p99 ms", cell: (_, t) => ms(t.p99.median) },
    ...(scenario.stream
      ? [
          { header: "TTFB p50", cell: (_: string, t: TargetStats) => ms(t.ttfbP50.median) },
          { header: "TTFB p99", cell: (_: string, t: TargetStats) => ms(t.ttfbP99.median) },
        ]
      : []),
    { header: "p50 − direct", cell: (id, t) => (id === "direct" ? "—" : signedMs(t.addedP50.median)) },
    { header: "CPU µs/req: proxy", cell: (id, t) => (id === "direct" ? "—" : whole(t.cpuUsPerRequest.proxy.median)) },
    { header: "stub", cell: (_, t) => whole(t.cpuUsPerRequest.stub.median) },
    { header: "loadgen", cell: (_, t) => whole(t.cpuUsPerRequest.loadgen.median) },
    { header: "pg+redis", cell: (_, t) => whole(t.cpuUsPerRequest.services.median) },
    { header: "busy", cell: (_, t) => `${whole(t.machineBusy.median * 100)}%` },
    { header: "errors", cell: (_, t) => String(t.errors) },
  ];
}

const verdict = (ok: boolean) => (ok ? "MEETS" : "MISSES");

export function scenarioReport(
  scenario: Scenario,
  stats: ScenarioStats,
  variantLabel: string | null = null,
  flags: { limits: boolean; guardrails: boolean } = { limits: false, guardrails: false },
): string[] {
  const rows = Object.entries(stats.targets) as [string, TargetStats][];
  const g = stats.gatewayVsBare;
  const added = stats.targets.gateway.addedP50;
  const u = stats.unloaded;
  // The latency goals are judged on the unloaded runs when there are some: under load, p50 is
  // mostly queueing (concurrency ÷ requests/s) and follows throughput, which has its own goal.
  const loadedVerdict = (text: string) => (u ? "  (loaded: mostly queueing)" : `  ${text}`);
  const lines = [
    `${scenario.id}: ${scenario.title}`,
    ...render(columnsFor(scenario), rows).map((l) => `  ${l}`),
    "  gateway vs bare proxy (median of per-round pairs, min–max):",
    `    rps ratio gateway/bare      ${ratio(g.rpsRatio.median)}  (${range(g.rpsRatio, ratio)})  goal ≥ ${GOALS.rpsRatio}: ${verdict(g.rpsRatio.median >= GOALS.rpsRatio)}`,
    `    p50 gateway − direct        ${signedMs(added.median)} ms  (${range(added, signedMs)})${loadedVerdict(`goal < ${GOALS.addedP50Ms} ms: ${verdict(added.median < GOALS.addedP50Ms)}`)}`,
    `    p50 gateway − bare          ${signedMs(g.p50DeltaMs.median)} ms  (${range(g.p50DeltaMs, signedMs)})`,
    `    p99 gateway − bare          ${signedMs(g.p99DeltaMs.median)} ms  (${range(g.p99DeltaMs, signedMs)})`,
  ];
  if (scenario.stream) {
    const ok = g.ttfbP50DeltaMs.median <= GOALS.ttfbDeltaMs;
    lines.push(
      `    TTFB p50 gateway − bare     ${signedMs(g.ttfbP50DeltaMs.median)} ms  (${range(g.ttfbP50DeltaMs, signedMs)})${loadedVerdict(`goal ≤ ${GOALS.ttfbDeltaMs} ms: ${verdict(ok)}`)}`,
    );
  }
  lines.push(`    process CPU per request     gateway ${ratio(g.cpuRatio.median)}× the bare proxy  (${range(g.cpuRatio, ratio)})`);
  const loadgen = stats.targets.direct.loadgenCores.median;
  lines.push(`    load generator busy         ${ratio(loadgen)} cores against the stub alone (of ${navigator.hardwareConcurrency})`);
  const v = stats.variantVsGateway;
  if (v) {
    lines.push(`  variant (${variantLabel}) vs gateway with the plain key (median of per-round pairs, min–max):`);
    // The guardrails goal is about streams; with both flags the limits goal applies to both scenarios.
    const rpsGoal = flags.guardrails
      ? scenario.stream
        ? VARIANT_GOALS.guardedStreamRpsRatio
        : null
      : VARIANT_GOALS.limitsRpsRatio;
    const rpsVerdict = rpsGoal === null ? "" : `  goal ≥ ${rpsGoal}: ${verdict(v.rpsRatio.median >= rpsGoal)}`;
    lines.push(`    rps ratio variant/gateway   ${ratio(v.rpsRatio.median)}  (${range(v.rpsRatio, ratio)})${rpsVerdict}`);
    lines.push(`    p50 variant − gateway       ${signedMs(v.p50DeltaMs.median)} ms  (${range(v.p50DeltaMs, signedMs)})`);
    if (scenario.stream) {
      const ttfbVerdict = flags.guardrails
        ? loadedVerdict(`goal ≤ ${VARIANT_GOALS.guardedTtfbDeltaMs} ms: ${verdict(v.ttfbP50DeltaMs.median <= VARIANT_GOALS.guardedTtfbDeltaMs)}`)
        : "";
      lines.push(`    TTFB p50 variant − gateway  ${signedMs(v.ttfbP50DeltaMs.median)} ms  (${range(v.ttfbP50DeltaMs, signedMs)})${ttfbVerdict}`);
    }
    lines.push(`    process CPU per request     variant ${ratio(v.cpuRatio.median)}× the plain key  (${range(v.cpuRatio, ratio)})`);
  }
  if (u) lines.push(...unloadedReport(scenario, u, stats, flags.guardrails));
  return lines;
}

/** The unloaded runs: p50 (and TTFB) per target, and the latency goals judged on them. */
function unloadedReport(scenario: Scenario, u: UnloadedStats, stats: ScenarioStats, guardrails: boolean): string[] {
  const perTarget = (Object.keys(stats.targets) as TargetId[])
    .map((id) => {
      const t = u.targets[id];
      return t ? `${id} ${ms(t.p50.median)}${scenario.stream ? ` (TTFB ${ms(t.ttfbP50.median)})` : ""}` : null;
    })
    .filter((cell) => cell !== null);
  const lines = [
    "  unloaded, one request at a time (median of per-round pairs, min–max):",
    `    p50 ms                      ${perTarget.join(", ")}`,
    `    p50 gateway − direct        ${signedMs(u.addedP50Ms.median)} ms  (${range(u.addedP50Ms, signedMs)})  goal < ${GOALS.addedP50Ms} ms: ${verdict(u.addedP50Ms.median < GOALS.addedP50Ms)}`,
  ];
  if (scenario.stream) {
    const ok = u.ttfbP50VsBareMs.median <= GOALS.ttfbDeltaMs;
    lines.push(`    TTFB p50 gateway − bare     ${signedMs(u.ttfbP50VsBareMs.median)} ms  (${range(u.ttfbP50VsBareMs, signedMs)})  goal ≤ ${GOALS.ttfbDeltaMs} ms: ${verdict(ok)}`);
  }
  if (u.variant) {
    lines.push(`    p50 variant − gateway       ${signedMs(u.variant.p50DeltaMs.median)} ms  (${range(u.variant.p50DeltaMs, signedMs)})`);
    if (scenario.stream) {
      const d = u.variant.ttfbP50DeltaMs;
      const goal = guardrails ? `  goal ≤ ${VARIANT_GOALS.guardedTtfbDeltaMs} ms: ${verdict(d.median <= VARIANT_GOALS.guardedTtfbDeltaMs)}` : "";
      lines.push(`    TTFB p50 variant − gateway  ${signedMs(d.median)} ms  (${range(d, signedMs)})${goal}`);
    }
  }
  return lines;
}
