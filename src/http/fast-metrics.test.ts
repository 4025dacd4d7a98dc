import { describe, expect, test } from "bun:test";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { fastCounter, fastGauge, fastHistogram } from "./fast-metrics.ts";

const BUCKETS = [0.001, 0.01, 0.1, 1];

/** The same observations through prom-client and through fast-metrics: identical exposition. */
describe("fast metrics", () => {
  test("counter, gauge and histogram render exactly as prom-client's own metrics", async () => {
    const reference = new Registry();
    const ours = new Registry();
    const labelNames = ["route", "code"];
    const refCounter = new Counter({ name: "c_total", help: "a counter", labelNames, registers: [reference] });
    const refGauge = new Gauge({ name: "g", help: "a gauge", labelNames: ["route"], registers: [reference] });
    const refHistogram = new Histogram({ name: "h_seconds", help: "a histogram", labelNames, buckets: BUCKETS, registers: [reference] });
    const counter = fastCounter({ name: "c_total", help: "a counter", labelNames, registry: ours });
    const gauge = fastGauge({ name: "g", help: "a gauge", labelNames: ["route"], registry: ours });
    const histogram = fastHistogram({ name: "h_seconds", help: "a histogram", labelNames, buckets: BUCKETS, registry: ours });

    const observations: [string, string, number][] = [
      ["/v1/chat", "ok", 0.0004],
      ["/v1/chat", "ok", 0.001],
      ["/v1/chat", "ok", 0.05],
      ["/v1/chat", "bad", 3],
      ["/v1/embeddings", "ok", 0.5],
      ["/v1/chat", "ok", 1],
    ];
    for (const [route, code, value] of observations) {
      refCounter.labels(route, code).inc(value);
      counter(route, code).inc(value);
      refHistogram.labels(route, code).observe(value);
      histogram(route, code).observe(value);
      refGauge.inc({ route });
      gauge(route).inc();
    }
    refGauge.dec({ route: "/v1/chat" });
    gauge("/v1/chat").dec();

    expect(await ours.metrics()).toBe(await reference.metrics());
    expect(await ours.metrics()).toContain('h_seconds_bucket{le="0.01",route="/v1/chat",code="ok"} 2');
  });

  test("merged values of the same family from another source are exposed with ours", async () => {
    const other = new Registry();
    const library = new Counter({ name: "requests_total", help: "h", labelNames: ["listener"], registers: [other] });
    library.labels("control").inc(2);
    const ours = new Registry();
    const counter = fastCounter({
      name: "requests_total",
      help: "h",
      labelNames: ["listener"],
      registry: ours,
      merge: async () => (await other.getSingleMetric("requests_total")!.get()).values,
    });
    counter("proxy").inc();
    const text = await ours.metrics();
    expect(text).toContain('requests_total{listener="proxy"} 1');
    expect(text).toContain('requests_total{listener="control"} 2');
    expect(text.match(/# TYPE requests_total/g)).toHaveLength(1);
  });

  test("a child with the wrong number of label values is refused", () => {
    const counter = fastCounter({ name: "x_total", help: "h", labelNames: ["a", "b"], registry: new Registry() });
    expect(() => counter("only-one")).toThrow("expected 2 label values");
  });
});
