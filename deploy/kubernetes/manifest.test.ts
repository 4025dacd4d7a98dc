import { describe, expect, test } from "bun:test";
import { parseAllDocuments } from "yaml";
import { parseConfig } from "../../src/config/config.ts";

const ROOT = `${import.meta.dir}/../..`;
const PROXY_PORT = 8080;
const CONTROL_PORT = 8081;
const NON_ROOT_UID = 65532;
const SECRET_NAME = "relayna-gateway-secrets";
/** The keys the deployment seed's `kubectl create secret generic` puts in the Secret. */
const SEED_SECRET_KEYS = [
  "DATABASE_URL",
  "REDIS_URL",
  "LITELLM_BASE_URL",
  "LITELLM_SERVICE_KEY",
  "RELAYNA_STUDIO_BASE_URL",
  "RELAYNA_STUDIO_TOKEN",
];
/** Without these a replica would fall back to embedded mode or lose the AI routes. */
const REQUIRED_SECRET_KEYS = ["DATABASE_URL", "REDIS_URL", "LITELLM_BASE_URL", "LITELLM_SERVICE_KEY"];
const SEED_ENV = {
  GATEWAY_BIND_ADDR: "0.0.0.0:8080",
  GATEWAY_CONTROL_BIND_ADDR: "0.0.0.0:8081",
  LOG_LEVEL: "gateway_api=info,gateway_proxy=info",
};
const SEED_SECRET_VALUES = {
  DATABASE_URL: "postgres://user:password@postgres:5432/relayna_gateway",
  REDIS_URL: "redis://redis:6379",
  LITELLM_BASE_URL: "http://litellm:4000",
  LITELLM_SERVICE_KEY: "sk-litellm-service-key",
};

// --- Kubernetes ------------------------------------------------------------------------

type Labels = Record<string, string>;
interface Probe { httpGet?: { path: string; port: number | string }; periodSeconds?: number; failureThreshold?: number }
interface Quantities { cpu?: string | number; memory?: string }
interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  resources?: { requests?: Quantities; limits?: Quantities };
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string }[];
}
interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[] };
  seccompProfile?: { type: string };
}
interface Selector { matchLabels?: Labels; matchExpressions?: unknown[] }
interface Peer { podSelector?: Selector; namespaceSelector?: Selector; ipBlock?: unknown }
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Labels };
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  // The union of the spec fields these tests read, per kind.
  spec: {
    replicas?: number;
    selector?: Selector & Labels;
    template?: {
      metadata: { labels: Labels };
      spec: {
        terminationGracePeriodSeconds?: number;
        securityContext?: SecurityContext;
        containers: Container[];
        volumes?: { name: string; emptyDir?: object }[];
      };
    };
    ports?: { name: string; port: number; targetPort: number | string }[];
    scaleTargetRef?: { apiVersion: string; kind: string; name: string };
    minReplicas?: number;
    maxReplicas?: number;
    metrics?: { type: string; resource?: { name: string; target: { type: string; averageUtilization?: number } } }[];
    minAvailable?: number;
    podSelector?: Selector;
    policyTypes?: string[];
    ingress?: { from?: Peer[]; ports?: { port?: number | string }[] }[];
  };
}

const manifestText = await Bun.file(`${ROOT}/deploy/kubernetes/relayna-gateway.yaml`).text();
const documents = parseAllDocuments(manifestText);
const objects = (Array.isArray(documents) ? documents : [])
  .map((doc) => doc.toJS() as K8sObject | null)
  .filter((o): o is K8sObject => o !== null);

function only(kind: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  expect(found.map((o) => o.kind)).toEqual([kind]);
  return found[0] as K8sObject;
}

const deployment = only("Deployment");
const podSpec = deployment.spec.template!.spec;
const gateway = podSpec.containers[0] as Container;
const configMap = only("ConfigMap");

function containerPort(port: number | string | undefined): number | undefined {
  if (typeof port === "number") return port;
  return gateway.ports?.find((p) => p.name === port)?.containerPort;
}

/** Kubernetes quantities in base units (cores, bytes) for comparison. */
function quantity(value: string | number | undefined): number {
  if (value === undefined) return Number.NaN;
  const match = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|k|M|G)?$/.exec(String(value));
  if (!match) return Number.NaN;
  const scale: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };
  return Number(match[1]) * (match[2] ? (scale[match[2]] ?? Number.NaN) : 1);
}

function selects(selector: Selector | undefined, labels: Labels): boolean {
  const wanted = selector?.matchLabels ?? {};
  return Object.keys(wanted).length > 0 && Object.entries(wanted).every(([k, v]) => labels[k] === v);
}

describe("Kubernetes manifest", () => {
  const podLabels = deployment.spec.template!.metadata.labels;

  test("parses cleanly into exactly the contract's objects", () => {
    expect(Array.isArray(documents)).toBe(true);
    for (const doc of documents) {
      expect(doc.errors).toEqual([]);
      expect(doc.warnings).toEqual([]);
    }
    const shape = objects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.name}`).sort();
    expect(shape).toEqual([
      "apps/v1 Deployment relayna-gateway",
      "autoscaling/v2 HorizontalPodAutoscaler relayna-gateway",
      "networking.k8s.io/v1 NetworkPolicy relayna-gateway",
      "policy/v1 PodDisruptionBudget relayna-gateway",
      "v1 ConfigMap relayna-gateway-config",
      `v1 Secret ${SECRET_NAME}`,
      "v1 Service relayna-gateway",
    ]);
  });

  test("every selector picks the gateway pods", () => {
    expect(selects(deployment.spec.selector, podLabels)).toBe(true);
    expect(selects({ matchLabels: only("Service").spec.selector as Labels }, podLabels)).toBe(true);
    expect(selects(only("PodDisruptionBudget").spec.selector, podLabels)).toBe(true);
    expect(selects(only("NetworkPolicy").spec.podSelector, podLabels)).toBe(true);
  });

  test("the ConfigMap holds the seed's listener and log settings, valid for the gateway", () => {
    expect(configMap.data).toMatchObject(SEED_ENV);
    const env = { ...configMap.data, ...SEED_SECRET_VALUES };
    const parsed = parseConfig(env);
    expect(parsed).toMatchObject({ ok: true });
    if (!parsed.ok) return;
    expect(parsed.config.proxyBind).toEqual({ hostname: "0.0.0.0", port: PROXY_PORT });
    expect(parsed.config.controlBind).toEqual({ hostname: "0.0.0.0", port: CONTROL_PORT });
  });

  test("the Secret exists with no values, so applying never overwrites the real ones", () => {
    const secret = only("Secret");
    expect(secret.type).toBe("Opaque");
    expect(secret.data).toBeUndefined();
    expect(secret.stringData).toBeUndefined();
    for (const key of SEED_SECRET_KEYS) expect(manifestText).toContain(`--from-literal=${key}=`);
  });

  test("the Deployment reads the seed's secret keys and the ConfigMap", () => {
    expect(gateway.envFrom).toContainEqual({ configMapRef: { name: configMap.metadata.name } });
    expect(gateway.envFrom).toContainEqual({ secretRef: { name: SECRET_NAME } });
    const refs = (gateway.env ?? []).flatMap((e) => {
      const ref = e.valueFrom?.secretKeyRef;
      return ref ? [{ env: e.name, ...ref }] : [];
    });
    expect(refs.map((r) => r.key).sort()).toEqual([...SEED_SECRET_KEYS].sort());
    for (const ref of refs) {
      expect(ref.name).toBe(SECRET_NAME);
      expect(ref.env).toBe(ref.key);
      expect(ref.optional === true).toBe(!REQUIRED_SECRET_KEYS.includes(ref.key));
    }
  });

  test("runs 2+ replicas of the released image", async () => {
    const { version } = (await Bun.file(`${ROOT}/package.json`).json()) as { version: string };
    expect(podSpec.containers).toHaveLength(1);
    expect(gateway.image).toBe(`ghcr.io/sarattha/relayna-gateway:${version}`);
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
  });

  test("exposes proxy 8080 and control 8081 on the container and the Service", () => {
    expect(gateway.ports).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "proxy", containerPort: PROXY_PORT }),
        expect.objectContaining({ name: "control", containerPort: CONTROL_PORT }),
      ]),
    );
    const service = only("Service");
    const routes = service.spec.ports!.map((p) => [p.port, containerPort(p.targetPort)]);
    expect(routes.sort()).toEqual([[PROXY_PORT, PROXY_PORT], [CONTROL_PORT, CONTROL_PORT]]);
  });

  test("probes /readyz and /healthz on the control port", () => {
    const probes = { readiness: gateway.readinessProbe, liveness: gateway.livenessProbe, startup: gateway.startupProbe };
    const seen = Object.fromEntries(
      Object.entries(probes).map(([name, p]) => [name, `${p?.httpGet?.path} ${containerPort(p?.httpGet?.port)}`]),
    );
    expect(seen).toEqual({
      readiness: `/readyz ${CONTROL_PORT}`,
      liveness: `/healthz ${CONTROL_PORT}`,
      startup: `/healthz ${CONTROL_PORT}`,
    });
    // Startup runs migrations before the listeners bind: allow at least a minute.
    const startup = gateway.startupProbe!;
    expect((startup.periodSeconds ?? 10) * (startup.failureThreshold ?? 3)).toBeGreaterThanOrEqual(60);
  });

  test("runs as a non-root user with a read-only root filesystem", () => {
    for (const context of [podSpec.securityContext, gateway.securityContext]) {
      expect(context?.runAsNonRoot).toBe(true);
      expect(context?.runAsUser).toBe(NON_ROOT_UID);
      expect(context?.seccompProfile).toEqual({ type: "RuntimeDefault" });
    }
    expect(gateway.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    const tmp = gateway.volumeMounts?.find((m) => m.mountPath === "/tmp");
    expect(podSpec.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
  });

  test("sets CPU and memory requests no larger than limits", () => {
    for (const resource of ["cpu", "memory"] as const) {
      const request = quantity(gateway.resources?.requests?.[resource]);
      const limit = quantity(gateway.resources?.limits?.[resource]);
      expect(request).toBeGreaterThan(0);
      expect(limit).toBeGreaterThanOrEqual(request);
    }
  });

  test("gives the gateway's drain time to finish before SIGKILL", () => {
    const drainSeconds = Number(configMap.data?.GATEWAY_SHUTDOWN_GRACE_SECONDS ?? 30);
    const preStopSeconds = gateway.lifecycle?.preStop?.sleep?.seconds ?? 0;
    expect(drainSeconds).toBeGreaterThanOrEqual(30);
    expect(podSpec.terminationGracePeriodSeconds).toBeGreaterThan(drainSeconds + preStopSeconds);
  });

  test("autoscales on CPU from at least 2 replicas", () => {
    const hpa = only("HorizontalPodAutoscaler");
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas!);
    expect(hpa.spec.metrics).toContainEqual({
      type: "Resource",
      resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
    });
  });

  test("the PodDisruptionBudget keeps a pod up yet lets node drains proceed", () => {
    const minAvailable = only("PodDisruptionBudget").spec.minAvailable!;
    expect(minAvailable).toBeGreaterThanOrEqual(1);
    expect(minAvailable).toBeLessThan(only("HorizontalPodAutoscaler").spec.minReplicas!);
  });

  test("the NetworkPolicy opens the proxy port and keeps the control port in-namespace", () => {
    const policy = only("NetworkPolicy");
    expect(policy.spec.policyTypes).toContain("Ingress");
    const rules = policy.spec.ingress ?? [];
    // A rule without ports admits every port.
    const admits = (port: number, name: string) =>
      rules.filter((r) => !r.ports || r.ports.some((p) => p.port === port || p.port === name));
    expect(admits(PROXY_PORT, "proxy").length).toBeGreaterThan(0);
    const controlRules = admits(CONTROL_PORT, "control");
    expect(controlRules.length).toBeGreaterThan(0);
    for (const rule of controlRules) {
      expect(rule.from?.length ?? 0).toBeGreaterThan(0);
      for (const peer of rule.from ?? []) {
        expect(peer.ipBlock).toBeUndefined();
        // A namespaceSelector must name namespaces; an empty one means all of them.
        if (peer.namespaceSelector) {
          const { matchLabels = {}, matchExpressions = [] } = peer.namespaceSelector;
          expect(Object.keys(matchLabels).length + matchExpressions.length).toBeGreaterThan(0);
        } else {
          expect(peer.podSelector).toBeDefined();
        }
      }
    }
  });
});
