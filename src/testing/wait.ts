/**
 * Polls `condition` every `intervalMs` until it holds; resolves with the milliseconds it took,
 * rejects when `timeoutMs` pass first.
 */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000, intervalMs = 5): Promise<number> {
  const started = performance.now();
  while (!(await condition())) {
    if (performance.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await Bun.sleep(intervalMs);
  }
  return performance.now() - started;
}
