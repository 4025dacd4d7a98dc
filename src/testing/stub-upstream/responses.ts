import type { StubBehaviour } from "./behaviour.ts";
import { createCompletion, responsesPrompt, type Completion, type JsonObject } from "./content.ts";
import { jsonReply, sseFrame, unixSeconds, type Reply } from "./reply.ts";

function responsesUsage(completion: Completion, cost: number | null) {
  return {
    input_tokens: completion.promptTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: completion.completionTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: completion.promptTokens + completion.completionTokens,
    ...(cost !== null && { cost }),
  };
}

function outputText(text: string) {
  return { type: "output_text", text, annotations: [], logprobs: [] };
}

function message(itemId: string, status: "in_progress" | "completed", content: unknown[]) {
  return { id: itemId, type: "message", status, role: "assistant", content };
}

/**
 * POST …/responses: a `response` object, or the event sequence OpenAI streams for one text
 * message (created → in_progress → item/part added → deltas → text/part/item done → completed),
 * complete enough for the SDK's `responses.stream()` accumulator, not only `create({stream})`.
 */
export function replyResponses(body: JsonObject, behaviour: StubBehaviour, id: string): Reply {
  const completion = createCompletion(behaviour, responsesPrompt(body));
  const itemId = `msg_${id}`;
  const createdAt = unixSeconds();
  const response = (status: "in_progress" | "completed", output: unknown[], usage: unknown) => ({
    id,
    object: "response",
    created_at: createdAt,
    status,
    error: null,
    incomplete_details: null,
    instructions: typeof body.instructions === "string" ? body.instructions : null,
    max_output_tokens: null,
    model: typeof body.model === "string" ? body.model : "stub-model",
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    temperature: 1,
    text: { format: { type: "text" } },
    tool_choice: "auto",
    tools: [],
    top_p: 1,
    truncation: "disabled",
    usage,
    metadata: {},
  });
  const done = message(itemId, "completed", [outputText(completion.text)]);
  const completed = response("completed", [done], responsesUsage(completion, behaviour.reportCost));

  if (body.stream !== true) return jsonReply(completed);

  let sequence = 0;
  const event = (type: string, fields: object) => sseFrame({ type, sequence_number: sequence++, ...fields }, type);
  const at = { item_id: itemId, output_index: 0, content_index: 0 };
  const started = response("in_progress", [], null);

  const frames = [
    event("response.created", { response: started }),
    event("response.in_progress", { response: started }),
    event("response.output_item.added", { output_index: 0, item: message(itemId, "in_progress", []) }),
    event("response.content_part.added", { ...at, part: outputText("") }),
  ];
  const contentStart = frames.length;
  for (const delta of completion.chunks) {
    frames.push(event("response.output_text.delta", { ...at, delta, logprobs: [] }));
  }
  frames.push(
    event("response.output_text.done", { ...at, text: completion.text, logprobs: [] }),
    event("response.content_part.done", { ...at, part: outputText(completion.text) }),
    event("response.output_item.done", { output_index: 0, item: done }),
    event("response.completed", { response: completed }),
  );
  return { kind: "sse", frames, contentStart, contentCount: completion.chunks.length };
}
