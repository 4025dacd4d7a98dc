/**
 * `bun run dev`: the gateway on embedded defaults. With no LITELLM_BASE_URL it also starts the
 * project's stub upstream and routes AI traffic there, and says so loudly: answers come from a
 * stub, not a model.
 */
import { configOrExit, runGateway } from "./main.ts";
import { startStubUpstream } from "./testing/stub-upstream.ts";

const config = configOrExit();
let stopStub: (() => Promise<void>) | undefined;
if (!config.litellm) {
  const stub = startStubUpstream({ port: 0, record: false });
  stopStub = () => stub.stop();
  config.litellm = { baseUrl: stub.url, serviceKey: "dev-stub-upstream" };
  console.warn(
    [
      "",
      "================================================================================",
      ` DEV MODE: LITELLM_BASE_URL is unset, so AI routes go to the built-in STUB upstream`,
      ` at ${stub.url}. Its answers are canned text, not a model. Set LITELLM_BASE_URL and`,
      ` LITELLM_SERVICE_KEY to use a real LiteLLM.`,
      "================================================================================",
      "",
    ].join("\n"),
  );
}
await runGateway(config, {}, async () => {
  await stopStub?.();
});
