const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const hex = (bytes: Uint8Array) => bytes.toHex();

/**
 * W3C trace context for the upstream call: the client's trace continues (same trace id, flags)
 * with the gateway's own span as parent; without a valid one a new trace starts (sampled).
 * `random(n)` supplies n random bytes.
 */
export function nextTraceparent(incoming: string | undefined, random: (size: number) => Uint8Array): string {
  const match = incoming ? TRACEPARENT.exec(incoming.trim().toLowerCase()) : null;
  const valid =
    match !== null && match[1] !== "ff" && !/^0+$/.test(match[2]!) && !/^0+$/.test(match[3]!);
  const traceId = valid ? match[2]! : hex(random(16));
  const flags = valid ? match[4]! : "01";
  return `00-${traceId}-${hex(random(8))}-${flags}`;
}
