import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { count, eq } from "drizzle-orm";
import { guardrailExecutionEvents } from "../../store/schema.ts";
import { integrationServices } from "../../testing/services.ts";
import { startTestGateway, type TestGateway } from "../../testing/test-gateway.ts";
import { call, expectError, jsonOf } from "./admin-test-helpers.ts";

const services = await integrationServices();

interface GuardrailPolicyView {
  mandatory_guardrails: string[];
  optional_guardrails: string[];
  forbidden_guardrails: string[];
  guardrail_config_overrides: Record<string, Record<string, unknown>>;
}
interface Key {
  id: string;
  guardrail_policy: GuardrailPolicyView;
}

describe.skipIf(!services.postgres || !services.redis)("key guardrail policies against the catalog", () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
    for (const name of ["tox", "secret-scan"]) {
      const body = { name, modes: ["pre_call"], endpoint_url: `http://guard.internal/${name}`, bearer_token: "t" };
      await jsonOf(await call(gw, "POST", "/admin/guardrails", body), 201);
    }
  });
  afterAll(async () => {
    await gw?.stop();
  });

  const createKey = async (guardrail_policy: unknown) => {
    const res = await call(gw, "POST", "/admin/keys", { owner_type: "individual", guardrail_policy });
    return (await jsonOf<{ key: Key }>(res, 201)).key;
  };
  const getKey = async (id: string) => jsonOf<Key>(await call(gw, "GET", `/admin/keys/${id}`), 200);

  test("create and patch accept catalog names, HTTP and built-in", async () => {
    const key = await createKey({
      mandatory_guardrails: ["pii-redact"],
      optional_guardrails: ["tox"],
      forbidden_guardrails: ["secret-scan"],
      guardrail_config_overrides: { tox: { level: 2 }, "pii-redact": { restore_output: false } },
    });
    expect(key.guardrail_policy).toEqual({
      mandatory_guardrails: ["pii-redact"],
      optional_guardrails: ["tox"],
      forbidden_guardrails: ["secret-scan"],
      guardrail_config_overrides: { tox: { level: 2 }, "pii-redact": { restore_output: false } },
    });
    const patched = await jsonOf<Key>(
      await call(gw, "PATCH", `/admin/keys/${key.id}`, { guardrail_policy: { forbidden_guardrails: [] } }),
      200,
    );
    expect(patched.guardrail_policy.forbidden_guardrails).toEqual([]);
  });

  test("unknown names and forbidden overrides are 400 invalid_admin_payload naming the field and the name", async () => {
    const field = (path: string) => `field \`guardrail_policy.${path}\``;
    const cases: [unknown, string][] = [
      [
        { mandatory_guardrails: ["pii-redact", "ghost"] },
        `${field("mandatory_guardrails.1")}: guardrail "ghost" is not in the catalog`,
      ],
      [{ optional_guardrails: ["ghost"] }, `${field("optional_guardrails.0")}: guardrail "ghost"`],
      [{ forbidden_guardrails: ["ghost"] }, `${field("forbidden_guardrails.0")}: guardrail "ghost"`],
      [{ guardrail_config_overrides: { ghost: {} } }, `${field("guardrail_config_overrides.ghost")}: guardrail "ghost"`],
      [
        { forbidden_guardrails: ["tox"], guardrail_config_overrides: { tox: { level: 1 } } },
        `${field("guardrail_config_overrides.tox")}: overrides a guardrail that forbidden_guardrails lists`,
      ],
      [{ guardrail_config_overrides: { tox: "loud" } }, `${field("guardrail_config_overrides.tox")}: must be a JSON object`],
    ];
    const before = (await jsonOf<{ data: unknown[] }>(await call(gw, "GET", "/admin/keys"), 200)).data.length;
    for (const [policy, message] of cases) {
      const res = await call(gw, "POST", "/admin/keys", { owner_type: "individual", guardrail_policy: policy });
      await expectError(res, "invalid_admin_payload", message);
    }
    expect((await jsonOf<{ data: unknown[] }>(await call(gw, "GET", "/admin/keys"), 200)).data.length).toBe(before);

    // PATCH judges the merged policy: an override added to a key that forbids the guardrail.
    const key = await createKey({ forbidden_guardrails: ["tox"] });
    const patch = (guardrail_policy: unknown) => call(gw, "PATCH", `/admin/keys/${key.id}`, { guardrail_policy });
    await expectError(
      await patch({ guardrail_config_overrides: { tox: {} } }),
      "invalid_admin_payload",
      "field `guardrail_policy.guardrail_config_overrides.tox`: overrides a guardrail that forbidden_guardrails lists",
    );
    await expectError(await patch({ optional_guardrails: ["ghost"] }), "invalid_admin_payload", '"ghost"');
    expect((await getKey(key.id)).guardrail_policy.forbidden_guardrails).toEqual(["tox"]);
  });

  test("deleting an HTTP guardrail removes it from every key policy and keeps its execution history", async () => {
    const doomed = { name: "doomed", modes: ["pre_call", "post_call"], endpoint_url: "http://d" };
    await jsonOf(await call(gw, "POST", "/admin/guardrails", doomed), 201);
    const a = await createKey({
      mandatory_guardrails: ["doomed", "pii-redact"],
      optional_guardrails: ["tox"],
      guardrail_config_overrides: { doomed: { x: 1 }, tox: { level: 1 } },
    });
    const b = await createKey({ optional_guardrails: ["doomed"], forbidden_guardrails: ["secret-scan"] });
    const c = await createKey({ forbidden_guardrails: ["doomed", "tox"] });
    const untouched = await createKey({ mandatory_guardrails: ["tox"] });
    const db = gw.gateway.database.db;
    await db.insert(guardrailExecutionEvents).values(
      ["allow", "block", "modify"].map((action) => ({
        requestId: `req-${action}`,
        keyId: a.id,
        guardrailName: "doomed",
        mode: "pre_call" as const,
        action: action as "allow" | "block" | "modify",
        failurePolicy: "fail_closed" as const,
        latencyMs: 12,
      })),
    );

    const res = await call(gw, "DELETE", "/admin/guardrails/doomed");
    expect(res.status).toBe(204);

    expect((await getKey(a.id)).guardrail_policy).toEqual({
      mandatory_guardrails: ["pii-redact"],
      optional_guardrails: ["tox"],
      forbidden_guardrails: [],
      guardrail_config_overrides: { tox: { level: 1 } },
    });
    expect((await getKey(b.id)).guardrail_policy).toEqual({
      mandatory_guardrails: [],
      optional_guardrails: [],
      forbidden_guardrails: ["secret-scan"],
      guardrail_config_overrides: {},
    });
    expect((await getKey(c.id)).guardrail_policy.forbidden_guardrails).toEqual(["tox"]);
    expect((await getKey(untouched.id)).guardrail_policy.mandatory_guardrails).toEqual(["tox"]);
    const kept = await db
      .select({ n: count() })
      .from(guardrailExecutionEvents)
      .where(eq(guardrailExecutionEvents.guardrailName, "doomed"));
    expect(kept).toEqual([{ n: 3 }]);
    const history = await jsonOf<{ data: { guardrail: string; action: string }[] }>(
      await call(gw, "GET", "/admin/guardrails/executions?guardrail=doomed"),
      200,
    );
    expect(history.data.map((e) => e.action).sort()).toEqual(["allow", "block", "modify"]);

    // Gone from the catalog: new policies may no longer name it.
    const again = { owner_type: "individual", guardrail_policy: { optional_guardrails: ["doomed"] } };
    await expectError(
      await call(gw, "POST", "/admin/keys", again),
      "invalid_admin_payload",
      'guardrail "doomed" is not in the catalog',
    );
  });

  test("a key body without guardrail_policy needs no catalog and keeps working", async () => {
    const { key } = await jsonOf<{ key: Key }>(await call(gw, "POST", "/admin/keys", { owner_type: "individual" }), 201);
    const patched = await jsonOf<Key>(await call(gw, "PATCH", `/admin/keys/${key.id}`, { name: "plain" }), 200);
    expect(patched.guardrail_policy).toEqual({
      mandatory_guardrails: [],
      optional_guardrails: [],
      forbidden_guardrails: [],
      guardrail_config_overrides: {},
    });
  });
});
