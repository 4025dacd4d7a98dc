export interface BindAddress {
  hostname: string;
  port: number;
}

const HOST_PORT = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)):(\d{1,5})$/;

/** Parses `host:port` / `[v6]:port`; port 0 asks the OS for a free one (tests). */
export function parseBindAddress(value: string): BindAddress | null {
  const match = HOST_PORT.exec(value);
  if (!match) return null;
  const port = Number(match[3]);
  if (port > 65535) return null;
  const hostname = match[1] ?? match[2];
  if (!hostname) return null;
  return { hostname, port };
}

export function formatBindAddress({ hostname, port }: BindAddress): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}
