import type { StubBehaviour } from "./behaviour.ts";
import { countTokens, embedText, embeddingInputs, embeddingToBase64, type JsonObject } from "./content.ts";
import { chatUsage, jsonReply, type Reply } from "./reply.ts";

/** POST …/embeddings: one deterministic 8-value vector per input (float list or base64). */
export function replyEmbeddings(body: JsonObject, behaviour: StubBehaviour): Reply {
  const inputs = embeddingInputs(body.input);
  const base64 = body.encoding_format === "base64";
  let chars = 0;
  const data = inputs.map((text, index) => {
    chars += text.length;
    const vector = embedText(text);
    return { object: "embedding", index, embedding: base64 ? embeddingToBase64(vector) : vector };
  });
  return jsonReply({
    object: "list",
    data,
    model: typeof body.model === "string" ? body.model : "stub-embedding",
    usage: chatUsage(countTokens(chars), null, behaviour.reportCost),
  });
}
