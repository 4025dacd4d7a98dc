import type { StubBehaviour } from "./behaviour.ts";
import { chatPrompt, createCompletion, isObject, splitChunks, type JsonObject } from "./content.ts";
import { chatUsage, jsonReply, sseFrame, unixSeconds, type Reply } from "./reply.ts";

/** POST …/chat/completions: a `chat.completion`, or `chat.completion.chunk` frames ending in [DONE]. */
export function replyChatCompletions(body: JsonObject, behaviour: StubBehaviour, id: string): Reply {
  const completion = createCompletion(behaviour, chatPrompt(body));
  const model = typeof body.model === "string" ? body.model : "stub-model";
  const usage = chatUsage(completion.promptTokens, completion.completionTokens, behaviour.reportCost);
  const created = unixSeconds();

  // Tool-call mode: the same text, as the arguments of one call, cut every chunkSize characters.
  const args = JSON.stringify({ text: completion.text });
  const toolCall = (argsPart: string, head: boolean) => ({
    index: 0,
    ...(head && { id: `call_${id}`, type: "function" }),
    function: { ...(head && { name: "echo" }), arguments: argsPart },
  });
  const finish = behaviour.toolCall ? "tool_calls" : "stop";

  if (body.stream !== true) {
    const message = behaviour.toolCall
      ? { role: "assistant", content: null, tool_calls: [toolCall(args, true)], refusal: null }
      : { role: "assistant", content: completion.text, refusal: null };
    return jsonReply({
      id,
      object: "chat.completion",
      created,
      model,
      system_fingerprint: null,
      choices: [
        {
          index: 0,
          message,
          logprobs: null,
          finish_reason: finish,
        },
      ],
      usage,
    });
  }

  // OpenAI sends `usage: null` on every chunk once usage was asked for, then one usage-only chunk.
  const includeUsage = isObject(body.stream_options) && body.stream_options.include_usage === true;
  const chunk = (choices: unknown[], extra?: object) =>
    sseFrame({
      id,
      object: "chat.completion.chunk",
      created,
      model,
      system_fingerprint: null,
      choices,
      ...(includeUsage && { usage: null }),
      ...extra,
    });
  const choice = (delta: object, finishReason: string | null) => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finishReason,
  });

  if (behaviour.toolCall) {
    const parts = splitChunks(args, behaviour.chunkSize);
    const frames = [chunk([choice({ role: "assistant", content: null, tool_calls: [toolCall("", true)], refusal: null }, null)])];
    for (const part of parts) frames.push(chunk([choice({ tool_calls: [toolCall(part, false)] }, null)]));
    frames.push(chunk([choice({}, finish)]));
    if (includeUsage) frames.push(chunk([], { usage }));
    frames.push(sseFrame("[DONE]"));
    return { kind: "sse", frames, contentStart: 1, contentCount: parts.length };
  }
  const frames = [chunk([choice({ role: "assistant", content: "", refusal: null }, null)])];
  for (const text of completion.chunks) frames.push(chunk([choice({ content: text }, null)]));
  frames.push(chunk([choice({}, finish)]));
  if (includeUsage) frames.push(chunk([], { usage }));
  frames.push(sseFrame("[DONE]"));
  return { kind: "sse", frames, contentStart: 1, contentCount: completion.chunks.length };
}
