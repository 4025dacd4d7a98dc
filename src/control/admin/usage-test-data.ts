/** Seeded ledger rows and the expectations the usage tests derive from them. */
import type { Db } from "../../store/db.ts";
import { usageEvents } from "../../store/schema.ts";

export type SeedRow = typeof usageEvents.$inferInsert;

export const KEY_1 = "11111111-1111-4111-8111-111111111111";
export const KEY_2 = "22222222-2222-4222-8222-222222222222";
export const PROJECT_1 = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
export const PROJECT_2 = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";
export const DDE_MODEL = "=cmd|' /C calc'!A0";
export const AWKWARD_MODEL = 'weird, "quoted"\r\nname';

const at = (text: string) => new Date(text);
const chat = { route: "/v1/chat/completions", provider: "litellm", statusCode: 200, status: "success" as const };

// Costs are dyadic fractions: their float sums are exact, so totals compare with toEqual.
export const SEED: SeedRow[] = [
  {
    ...{ ...chat, requestId: "r1", keyId: KEY_1, projectId: PROJECT_1, model: "gpt-4o", taskId: "t-1", runId: "run-a" },
    ...{ inputTokens: 10, outputTokens: 5, totalTokens: 15, estimatedCostUsd: 0.5, latencyMs: 100, firstTokenMs: 40 },
    ...{ stream: true, guardrails: ["pii-redact", "toxicity"], createdAt: at("2030-01-01T00:10:00.123456Z") },
  },
  {
    ...{ ...chat, requestId: "-r2+1", keyId: KEY_1, projectId: PROJECT_1, model: "gpt-4o", taskId: "t-1" },
    ...{ inputTokens: 20, outputTokens: 10, totalTokens: 30, estimatedCostUsd: 0.25, latencyMs: 200, fallbackCount: 1 },
    createdAt: at("2030-01-01T00:50:00Z"),
  },
  {
    ...{ ...chat, requestId: "r3", keyId: KEY_2, projectId: PROJECT_1, model: "claude", taskId: "t-1" },
    ...{ status: "failure", statusCode: 504, errorCode: "upstream_timeout", latencyMs: 300, fallbackCount: 2 },
    estimatedCostUsd: 0.03125,
    createdAt: at("2030-01-01T01:05:00Z"),
  },
  {
    ...{ requestId: "r4", keyId: KEY_2, projectId: PROJECT_2, route: "/services/billing", provider: "internal-service" },
    ...{ serviceName: "billing", taskId: "t-2", status: "success", statusCode: 200, estimatedCostUsd: 1, latencyMs: 40 },
    createdAt: at("2030-01-02T03:00:00Z"),
  },
  {
    ...{ requestId: "@r5", route: "/v1/embeddings", model: DDE_MODEL, provider: "openai", status: "failure" },
    ...{ statusCode: 401, errorCode: "invalid_virtual_key", latencyMs: 5, createdAt: at("2030-01-03T00:00:00Z") },
  },
  {
    ...{ ...chat, requestId: "r6", keyId: KEY_1, projectId: PROJECT_1, model: AWKWARD_MODEL },
    ...{ inputTokens: 1, outputTokens: 2, totalTokens: 3, estimatedCostUsd: 0.125, latencyMs: 60 },
    createdAt: at("2030-01-03T12:00:00Z"),
  },
  // Two rows sharing one timestamp: the export orders them by id.
  {
    ...{ ...chat, requestId: "r7", keyId: KEY_2, projectId: PROJECT_2, model: "gpt-4o", estimatedCostUsd: 0.0625 },
    ...{ latencyMs: 70, createdAt: at("2030-01-03T12:00:00Z") },
  },
];

export async function seedUsage(db: Db, rows: SeedRow[]): Promise<void> {
  await db.insert(usageEvents).values(rows);
}

export const ZERO = {
  request_count: 0,
  success_count: 0,
  failure_count: 0,
  input_tokens: 0,
  output_tokens: 0,
  total_tokens: 0,
  estimated_cost_usd: 0,
  total_latency_ms: 0,
  fallback_count: 0,
};

export type Summary = typeof ZERO;

/** What the summary endpoints must answer for these rows. */
export function totalsOf(rows: SeedRow[]): Summary {
  const sum = (pick: (row: SeedRow) => number | undefined) => rows.reduce((acc, row) => acc + (pick(row) ?? 0), 0);
  return {
    request_count: rows.length,
    success_count: rows.filter((r) => r.status === "success").length,
    failure_count: rows.filter((r) => r.status === "failure").length,
    input_tokens: sum((r) => r.inputTokens),
    output_tokens: sum((r) => r.outputTokens),
    total_tokens: sum((r) => r.totalTokens),
    estimated_cost_usd: sum((r) => r.estimatedCostUsd),
    total_latency_ms: sum((r) => r.latencyMs),
    fallback_count: sum((r) => r.fallbackCount),
  };
}

/** PostgreSQL's percentile_cont: linear interpolation between the closest ranks. */
export function percentileCont(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = fraction * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

/** Minimal RFC 4180 reader for the tests: quoted cells with "" escapes, commas and line breaks. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") record.push(cell), (cell = "");
    else if (ch === "\r" && text[i + 1] === "\n") {
      record.push(cell), records.push(record), (record = []), (cell = ""), i++;
    } else cell += ch;
  }
  if (cell !== "" || record.length > 0) record.push(cell), records.push(record);
  return records;
}
