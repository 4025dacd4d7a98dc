const decoder = new TextDecoder();
const encoder = new TextEncoder();
const LINE_BREAK = /\r\n|\r|\n/;
const LINE_BREAK_CHAR = /[\r\n]/;
const hasLineBreak = (text: string) => LINE_BREAK_CHAR.test(text);

/**
 * One SSE event as the exact bytes it arrived in, terminating blank line included. `event` and
 * `data` are parsed only when asked for, so frames nobody inspects cost one object and a
 * subarray; unmodified frames are forwarded byte-for-byte, never re-serialised.
 */
export class SseFrame {
  #raw: Uint8Array | null;
  #encoded: Uint8Array | null = null;
  #parsed = false;
  #event: string | undefined;
  #data = "";
  #object: object | null | undefined; // the data as parsed by `object()`; undefined: not yet

  constructor(raw: Uint8Array) {
    this.#raw = raw;
  }

  /** A new frame (e.g. injected by a transform); it counts as modified. */
  static fromData(data: string, event?: string): SseFrame {
    const frame = new SseFrame(new Uint8Array(0));
    frame.#parsed = true;
    frame.#event = event;
    frame.replaceData(data);
    return frame;
  }

  /** The wire bytes: as received or as `replaceBytes` set them; null once `replaceData` changed the frame. */
  get raw(): Uint8Array | null {
    return this.#raw;
  }

  /** The `event:` field (the last one wins), or undefined when the frame has none. */
  get event(): string | undefined {
    this.#parse();
    return this.#event;
  }

  /** The `data:` lines joined by "\n" ("" when the frame has none, e.g. a comment-only frame). */
  get data(): string {
    this.#parse();
    return this.#data;
  }

  /**
   * The data as a JSON object (see parseDataObject), parsed once: a stage that read the frame and
   * the usage tap after it share one parse. Whoever changes the object replaces the data.
   */
  object<T extends object>(): T | null {
    if (this.#object === undefined) this.#object = parseDataObject<T>(this.data);
    return this.#object as T | null;
  }

  /**
   * Replace the payload; the frame is re-serialised from `event` and `data` from now on.
   * `object`: the new data as a parse would give it (a stage's changed object), if at hand.
   */
  replaceData(newData: string, object?: object): void {
    this.#parse();
    this.#data = newData;
    this.#object = object;
    this.#raw = null;
    this.#encoded = null;
  }

  /**
   * Replace the wire bytes (a stage's byte-level edit of the frame); `event`, `data` and the
   * object are read from them again when asked.
   */
  replaceBytes(bytes: Uint8Array): void {
    this.#raw = bytes;
    this.#encoded = null;
    this.#parsed = false;
    this.#event = undefined;
    this.#data = "";
    this.#object = undefined;
  }

  /**
   * Wire bytes: the raw bytes when unmodified; otherwise an `event:` line (if any), one `data:`
   * line per line of data and a blank line. `id:`, `retry:` and comment lines of a modified frame
   * are not kept.
   */
  toBytes(): Uint8Array {
    if (this.#raw) return this.#raw;
    if (!this.#encoded) {
      const head = this.#event === undefined ? "" : `event: ${this.#event}\n`;
      const data = this.#data;
      // One line is the usual case (JSON.stringify never writes a line break): no split. Checked on
      // the wire text itself, so a spliced `data` (a rope) is flattened once, not twice.
      const line = `data: ${data}\n\n`;
      const lines = line.indexOf("\n") === line.length - 2 && !line.includes("\r") ? line : `${data.split(LINE_BREAK).map((l) => `data: ${l}\n`).join("")}\n`;
      this.#encoded = encoder.encode(head === "" ? lines : `${head}${lines}`);
    }
    return this.#encoded;
  }

  #parse(): void {
    if (this.#parsed || !this.#raw) return;
    this.#parsed = true;
    const text = decoder.decode(this.#raw);
    // The usual frame, one `data: …` line and the blank one: no split.
    if (text.startsWith("data: ") && text.endsWith("\n\n")) {
      const data = text.slice(6, -2);
      if (!hasLineBreak(data)) {
        this.#data = data;
        return;
      }
    }
    const data: string[] = [];
    for (const line of text.split(LINE_BREAK)) {
      if (line === "" || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "data") data.push(value);
      else if (field === "event") this.#event = value;
    }
    this.#data = data.join("\n");
  }
}

/**
 * A frame's data as a JSON object (every stage that reads chunks or events parses this way), or
 * null when it is not one: `[DONE]`, a comment, invalid JSON, an array or a scalar.
 */
export function parseDataObject<T extends object>(data: string): T | null {
  if (data.trimStart().charCodeAt(0) !== 0x7b) return null; // "{": the parse can only give an object
  try {
    return JSON.parse(data) as T;
  } catch {
    return null;
  }
}
