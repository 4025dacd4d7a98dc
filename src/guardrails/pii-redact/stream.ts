import { isHighSurrogate } from "./chars.ts";
import { MAX_EMAIL_LENGTH, scanInto, type ScanSpan } from "./detect.ts";
import type { PiiVault } from "./placeholders.ts";
import { renderSpans, type RenderMode, type RestoreOptions } from "./redact.ts";

/**
 * The most text a stream redactor ever holds: an email cut at its longest legal length. Every
 * scanner decides from a bounded window (emails 255 characters including the one after them,
 * phones about 40, placeholders 17), so once that much has arrived the answer is final.
 */
export const MAX_HOLD_BACK = MAX_EMAIL_LENGTH;

export interface StreamRedactor {
  /** Takes the next text delta; returns the text that is safe to emit now (possibly ""). */
  push(delta: string): string;
  /** The end of the text: returns whatever was held, treated; the redactor can then start over. */
  flush(): string;
  /** How many UTF-16 code units are held back right now (for tests and metrics). */
  readonly held: number;
}

/**
 * During-call pii-redact on one text channel (a choice's `delta.content`, one tool call's
 * arguments, a Responses output text). It runs the same scan as `restoreText`, stopping at the
 * first position whose answer still depends on text to come, emits everything before it and
 * resumes from exactly there on the next delta, with the character before as left context. So
 * the concatenated output equals `restoreText(whole text)` for every split, and `push` costs
 * O(delta + held). What is held is the shortest suffix that could still become (or be cut out
 * of) an email, phone, SSN or placeholder — a trailing word, digits, `[EMAIL_1` — or a lone high
 * surrogate, so no chunk ends in half a character.
 */
export function createStreamRedactor(vault: PiiVault, options: RestoreOptions): StreamRedactor {
  return new ChannelRedactor(vault, options.restore ? RESTORING : KEEPING);
}

const RESTORING: RenderMode = { source: "response", restore: true };
const KEEPING: RenderMode = { source: "response", restore: false };

// A class rather than closures: one is opened per text channel of every guarded stream, and its
// methods then cost no allocation each.
class ChannelRedactor implements StreamRedactor {
  readonly #vault: PiiVault;
  readonly #mode: RenderMode;
  #context = ""; // the last character already treated: scanners look one character left
  #held = "";
  readonly #spans: ScanSpan[] = []; // one scan's spans, emptied after each

  constructor(vault: PiiVault, mode: RenderMode) {
    this.#vault = vault;
    this.#mode = mode;
  }

  push(delta: string): string {
    if (delta === "") return "";
    return this.#treat(delta, false);
  }

  flush(): string {
    const out = this.#treat("", true);
    this.#context = "";
    this.#held = "";
    return out;
  }

  get held(): number {
    return this.#held.length;
  }

  #treat(delta: string, final: boolean): string {
    const text = this.#context + this.#held + delta;
    const from = this.#context.length;
    const spans = this.#spans;
    let stable = scanInto(text, from, final, spans);
    // Spans are ASCII, so none ends on a high surrogate: backing off one unit cuts no span.
    if (!final && stable === text.length && stable > from && isHighSurrogate(text.charCodeAt(stable - 1))) stable--;
    const out = renderSpans(text, from, stable, spans, this.#vault, this.#mode);
    if (spans.length > 0) spans.length = 0;
    if (stable > from) this.#context = text.charAt(stable - 1);
    this.#held = text.slice(stable);
    return out;
  }
}

/** The redactor as a `TransformStream` of text deltas, for `pipeThrough` composition. */
export function createRedactorTransform(vault: PiiVault, options: RestoreOptions): TransformStream<string, string> {
  const redactor = createStreamRedactor(vault, options);
  return new TransformStream<string, string>({
    transform(delta, controller) {
      const out = redactor.push(delta);
      if (out) controller.enqueue(out);
    },
    flush(controller) {
      const out = redactor.flush();
      if (out) controller.enqueue(out);
    },
  });
}
