/**
 * Script calls batched per API key: items queued for one key go out as one script call, either
 * on the next turn of the event loop (admits: no added wait, just what arrived together) or
 * after a short delay (settlements), and at once when a key has `maxBatch` items. Redis then
 * runs one script for many requests, reading and writing the key's state once, and the
 * gateway sends one command: per-command costs (ioredis, RESP, EVALSHA setup, the hash read
 * and write) are paid per batch instead of per request. Each item's promise settles with its
 * own element of the script's reply. The sender learns whether a batch goes out alone in its
 * turn (then there is no write to share, and auto-pipelining would only add its cost). Another
 * call may carry a key's queued items instead (`take`): settlements ride with the key's next admit.
 */
export type BatchArg = string | number;
export type ItemReply = number | string | number[];

export interface KeyBatches {
  /** Queues one item (its script arguments); resolves with the script's reply for it. */
  add(keyId: string, ...args: BatchArg[]): Promise<ItemReply>;
  /** Sends what is queued (for one key, or all) now; resolves when it has been applied. */
  flush(keyId?: string): Promise<void>;
  /** Removes a key's queued items, for another call to carry; that call answers them. */
  take(keyId: string): TakenBatch | undefined;
}

export interface TakenBatch {
  args: BatchArg[];
  count: number;
  /** Settles each item with its reply: `replies[offset + i]` for the i-th item. */
  answer(replies: ItemReply[], offset: number): void;
  fail(err: unknown): void;
}

interface Batch {
  args: BatchArg[];
  waiters: PromiseWithResolvers<ItemReply>[];
}

function answer(batch: Batch, replies: ItemReply[], offset: number): void {
  for (let i = 0; i < batch.waiters.length; i++) batch.waiters[i]!.resolve(replies[offset + i] ?? 0);
}

function fail(batch: Batch, err: unknown): void {
  for (const waiter of batch.waiters) waiter.reject(err);
}

export function createKeyBatches(
  /** `alone`: no other batch goes out in this turn (nothing to share a socket write with). */
  send: (keyId: string, args: BatchArg[], alone: boolean) => Promise<ItemReply[]>,
  opts: { delayMs: number; maxBatch: number },
): KeyBatches {
  const batches = new Map<string, Batch>();
  let scheduled = false;

  function sendBatch(keyId: string, batch: Batch, alone: boolean): Promise<void> {
    batches.delete(keyId);
    let sent: Promise<ItemReply[]>;
    try {
      sent = send(keyId, batch.args, alone);
    } catch (err) {
      sent = Promise.reject(err);
    }
    return sent.then(
      (replies) => answer(batch, replies, 0),
      (err: unknown) => fail(batch, err),
    );
  }

  function flushAll(): Promise<void> {
    scheduled = false;
    const sent: Promise<void>[] = [];
    const alone = batches.size === 1;
    for (const [keyId, batch] of batches) sent.push(sendBatch(keyId, batch, alone));
    return Promise.all(sent).then(() => {});
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    if (opts.delayMs > 0) setTimeout(flushAll, opts.delayMs);
    else setImmediate(flushAll);
  }

  return {
    add(keyId, ...args) {
      let batch = batches.get(keyId);
      if (!batch) {
        batch = { args: [], waiters: [] };
        batches.set(keyId, batch);
      }
      for (const arg of args) batch.args.push(arg);
      const waiter = Promise.withResolvers<ItemReply>();
      batch.waiters.push(waiter);
      if (batch.waiters.length >= opts.maxBatch) void sendBatch(keyId, batch, false);
      else schedule();
      return waiter.promise;
    },
    flush(keyId) {
      if (keyId === undefined) return flushAll();
      const batch = batches.get(keyId);
      return batch ? sendBatch(keyId, batch, false) : Promise.resolve();
    },
    take(keyId) {
      const batch = batches.get(keyId);
      if (!batch) return undefined;
      batches.delete(keyId);
      return {
        args: batch.args,
        count: batch.waiters.length,
        answer: (replies, offset) => answer(batch, replies, offset),
        fail: (err) => fail(batch, err),
      };
    },
  };
}
