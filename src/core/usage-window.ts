/** Time windows of the usage analytics: bucket counts and the provider-health default. */

export const BUCKET_MS = { hour: 3_600_000, day: 86_400_000 } as const;
export type BucketSize = keyof typeof BUCKET_MS;

/** A timeseries answers at most this many buckets; wider ranges must use bigger buckets. */
export const MAX_BUCKETS = 10_000;

/** UTC buckets the range [from, to) touches (0 when empty); hour and day both divide UTC evenly. */
export function countBuckets(from: Date, to: Date, bucket: BucketSize): number {
  const size = BUCKET_MS[bucket];
  const first = Math.floor(from.getTime() / size);
  const end = Math.ceil(to.getTime() / size);
  return Math.max(0, end - first);
}

export const HEALTH_WINDOW_MS = 24 * 3_600_000;

/** Provider health looks at the last 24 h unless told otherwise: [to - 24 h, to), to = now by default. */
export function healthWindow(range: { from?: Date; to?: Date }, now: Date): { from: Date; to?: Date } {
  if (range.from) return { from: range.from, to: range.to };
  const end = range.to ?? now;
  return { from: new Date(end.getTime() - HEALTH_WINDOW_MS), to: end };
}
