/** Which Studio the gateway talks to (contract 7): persisted settings over the env fallback. */

export interface StudioEnv {
  baseUrl: string | null;
  token: string | null;
}

/** The persisted settings row, when there is one. */
export interface PersistedStudioSettings {
  baseUrl: string | null;
  token: string | null;
  updatedAt: Date;
}

export type StudioSource = "persisted" | "environment" | "unset";

export interface StudioConnection {
  baseUrl: string | null;
  token: string | null;
  source: StudioSource;
  updatedAt: Date | null;
}

/**
 * A persisted base URL makes the persisted settings (URL and token, as a unit) effective;
 * without one the environment's URL and token apply, so clearing the URL returns to them.
 */
export function resolveStudioConnection(persisted: PersistedStudioSettings | null, env: StudioEnv): StudioConnection {
  const updatedAt = persisted?.updatedAt ?? null;
  if (persisted?.baseUrl) return { baseUrl: persisted.baseUrl, token: persisted.token, source: "persisted", updatedAt };
  if (env.baseUrl) return { baseUrl: env.baseUrl, token: env.token, source: "environment", updatedAt };
  return { baseUrl: null, token: null, source: "unset", updatedAt };
}

/** The URL as the API may show it: an env URL could carry user info, which is a secret. */
export function displayUrl(text: string | null): string | null {
  if (text === null) return null;
  try {
    const url = new URL(text);
    if (url.username === "" && url.password === "") return text;
    url.username = "";
    url.password = "";
    return url.toString();
  } catch {
    return null;
  }
}
