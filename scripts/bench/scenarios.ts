/**
 * The two request shapes the benchmark drives, and a one-request check of each target before
 * any load: status 200, and a stream arriving whole with as many SSE frames as the stub sent.
 */
import type { Target, TargetId } from "./stack.ts";

export type ScenarioId = "chat" | "stream";

export interface Scenario {
  id: ScenarioId;
  title: string;
  stream: boolean;
  body: string;
  /** Besides content-type and authorization. */
  headers: Record<string, string>;
}

const messages = [{ role: "user", content: "Say hello to the benchmark." }];

export function scenarios(chunks: number, chunkDelayMs: number): Scenario[] {
  const pacing = chunkDelayMs > 0 ? `${chunkDelayMs} ms before each` : "no delays";
  return [
    {
      id: "chat",
      title: "non-streaming POST /v1/chat/completions",
      stream: false,
      body: JSON.stringify({ model: "bench-model", messages }),
      headers: {},
    },
    {
      id: "stream",
      title: `streaming POST /v1/chat/completions (${chunks} content chunks, ${pacing})`,
      stream: true,
      // Usage requested by the client: every target then relays the same frames (without it
      // the gateway asks the stub for usage itself and hides that frame from the client).
      body: JSON.stringify({ model: "bench-model", messages, stream: true, stream_options: { include_usage: true } }),
      headers: { "x-stub-chunk-count": String(chunks), "x-stub-chunk-delay-ms": String(chunkDelayMs) },
    },
  ];
}

export function requestHeaders(scenario: Scenario, authorization: string): Record<string, string> {
  return { "content-type": "application/json", authorization, ...scenario.headers };
}

export const CHAT_PATH = "/v1/chat/completions";

/** One request per target; returns the frame counts (streams) so they can be compared. */
export async function checkTargets(
  scenario: Scenario,
  targets: Target[],
): Promise<Partial<Record<TargetId, number>>> {
  const frames: Partial<Record<TargetId, number>> = {};
  for (const target of targets) {
    const response = await fetch(`${target.url}${CHAT_PATH}`, {
      method: "POST",
      headers: requestHeaders(scenario, target.authorization),
      body: scenario.body,
    });
    const text = await response.text();
    if (response.status !== 200) {
      throw new Error(`${target.id} ${scenario.id}: status ${response.status}: ${text.slice(0, 300)}`);
    }
    if (scenario.stream && !text.trimEnd().endsWith("data: [DONE]")) {
      throw new Error(`${target.id} ${scenario.id}: the stream did not end with [DONE]`);
    }
    frames[target.id] = text.split("\n\n").filter((frame) => frame.startsWith("data: ")).length;
  }
  const distinct = new Set(Object.values(frames));
  if (scenario.stream && distinct.size > 1) {
    throw new Error(`${scenario.id}: targets relayed different frame counts ${JSON.stringify(frames)}`);
  }
  return frames;
}
