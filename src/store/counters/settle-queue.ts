/**
 * Settlements (settle and release) are queued per API key and sent as one script call per key
 * every few milliseconds, or as soon as a key has `maxBatch` of them, instead of one call per
 * request: Redis runs one script for many reservations, the gateway sends one command. Until
 * its batch lands a reservation simply stays reserved at its estimate, which is what it was
 * a moment earlier; reservations of a process that dies with a batch queued expire as usual.
 * Each settlement's promise settles with its own result once its batch has been applied.
 */
export type SettleArg = string | number;

export interface SettleQueue {
  /** Queues one settlement; resolves with the script's code for it (1, 0 or -1). */
  add(keyId: string, member: string, tokens: number, costMicroUsd: number): Promise<number>;
  /** Sends what is queued (for one key, or all) now; resolves when it has been applied. */
  flush(keyId?: string): Promise<void>;
}

interface Batch {
  args: SettleArg[];
  waiters: PromiseWithResolvers<number>[];
}

export function createSettleQueue(
  send: (keyId: string, args: SettleArg[]) => Promise<number[]>,
  opts: { delayMs: number; maxBatch: number },
): SettleQueue {
  const batches = new Map<string, Batch>();
  let timer: ReturnType<typeof setTimeout> | null = null;

  function sendBatch(keyId: string, batch: Batch): Promise<void> {
    batches.delete(keyId);
    return send(keyId, batch.args).then(
      (codes) => {
        for (let i = 0; i < batch.waiters.length; i++) batch.waiters[i]!.resolve(codes[i] ?? 0);
      },
      (err: unknown) => {
        for (const waiter of batch.waiters) waiter.reject(err);
      },
    );
  }

  function flushAll(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    const sent: Promise<void>[] = [];
    for (const [keyId, batch] of batches) sent.push(sendBatch(keyId, batch));
    return Promise.all(sent).then(() => {});
  }

  return {
    add(keyId, member, tokens, costMicroUsd) {
      let batch = batches.get(keyId);
      if (!batch) {
        batch = { args: [], waiters: [] };
        batches.set(keyId, batch);
      }
      batch.args.push(member, tokens, costMicroUsd);
      const waiter = Promise.withResolvers<number>();
      batch.waiters.push(waiter);
      if (batch.waiters.length >= opts.maxBatch) void sendBatch(keyId, batch);
      else timer ??= setTimeout(flushAll, opts.delayMs);
      return waiter.promise;
    },
    flush(keyId) {
      if (keyId === undefined) return flushAll();
      const batch = batches.get(keyId);
      return batch ? sendBatch(keyId, batch) : Promise.resolve();
    },
  };
}
