import type { Counter, Histogram } from "prom-client";

/**
 * prom-client hashes the label object on every inc/observe; label sets on the proxy are few
 * and fixed (route × provider × …), so their bound children are cached once.
 */
export function childCache<T extends string, M extends Counter<T> | Histogram<T>>(metric: M) {
  const children = new Map<string, ReturnType<M["labels"]>>();
  return (...values: string[]): ReturnType<M["labels"]> => {
    const key = values.join("\u0000");
    let child = children.get(key);
    if (!child) {
      child = metric.labels(...values) as ReturnType<M["labels"]>;
      children.set(key, child);
    }
    return child;
  };
}
