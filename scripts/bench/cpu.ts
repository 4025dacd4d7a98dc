/**
 * CPU time from /proc (Linux): per process (utime + stime) and for the whole machine. Used to
 * say where the time goes per request; on a system without /proc every reading is null.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Linux reports in USER_HZ, which is 100 on every mainstream kernel. */
const MS_PER_TICK = 10;

function readText(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

/** User + system CPU milliseconds a process has used so far, or null when it cannot be read. */
export function processCpuMs(pid: number): number | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // The command name (field 2) may contain spaces; the fields after its closing paren do not.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) * MS_PER_TICK : null;
}

export interface MachineCpu {
  /** Busy milliseconds summed over all cores. */
  busyMs: number;
  /** Busy + idle milliseconds summed over all cores. */
  totalMs: number;
}

export function machineCpu(): MachineCpu | null {
  const line = readText("/proc/stat")?.split("\n", 1)[0];
  if (!line?.startsWith("cpu ")) return null;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  const total = busy + idle! + iowait!;
  return Number.isFinite(total) ? { busyMs: busy * MS_PER_TICK, totalMs: total * MS_PER_TICK } : null;
}

/** Pids of every process whose command name is one of `names` (postgres backends come and go). */
export function pidsNamed(names: readonly string[]): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const comm = readText(`/proc/${entry}/comm`)?.trim();
    if (comm !== undefined && names.includes(comm)) pids.push(Number(entry));
  }
  return pids;
}

/** CPU milliseconds used so far by every process named one of `names`, by pid. */
export function cpuByPid(names: readonly string[]): Map<number, number> {
  const result = new Map<number, number>();
  for (const pid of pidsNamed(names)) {
    const ms = processCpuMs(pid);
    if (ms !== null) result.set(pid, ms);
  }
  return result;
}

/** CPU used between two cpuByPid readings; a process born in between counts from zero. */
export function cpuDeltaMs(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, ms] of after) sum += ms - (before.get(pid) ?? 0);
  return sum;
}
