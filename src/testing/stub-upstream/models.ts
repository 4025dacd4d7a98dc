import { jsonReply, unixSeconds, type Reply } from "./reply.ts";

const MODELS = ["stub-model", "stub-model-mini", "stub-embedding"];

/** GET …/models. */
export function replyModels(): Reply {
  const created = unixSeconds();
  return jsonReply({
    object: "list",
    data: MODELS.map((id) => ({ id, object: "model", created, owned_by: "relayna-stub" })),
  });
}
