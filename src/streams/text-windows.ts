import type { Emit } from "./frame-stage.ts";
import type { SseFrame } from "./sse-frame.ts";

/**
 * A guardrail that answers for text in windows (an HTTP guardrail with `during_call`; see
 * guardrails/stream-windows.ts): `check` gets each window once, in order, and returns the text
 * to release — a string now, or a promise while the guardrail thinks (a rejection ends the
 * stream).
 */
export interface TextWindows {
  /** Window size in UTF-16 code units (a surrogate pair is never cut). */
  chars: number;
  /** false (a dry run): the stream passes untouched; windows are only shown to the guardrail. */
  holds: boolean;
  check(text: string, final: boolean): string | Promise<string>;
  /** The stream ended normally. */
  end(): void;
  /** The stream ended early. */
  cancel(): void;
}

export type Step = void | Promise<void>;

/** Runs `next` now, or once `step` settles. */
export const then = (step: Step, next: () => Step): Step => (step ? step.then(next) : next());

interface Channel<B> {
  /** Text received, not yet checked. */
  text: string;
  /** The last event that carried text: released text is rendered on a copy of it. */
  base: B;
  /** Everything released so far (events repeating the whole text get this). */
  released: string;
  open: boolean;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

/**
 * The text channels of one stream (a choice, a Responses output part) cut into windows: a window
 * is checked when it holds `chars` characters, when its channel ends (`final`, even if empty), or
 * when a frame that is not text must go out (held text goes first, so frames keep their order).
 */
export function createWindowBuffer<K, B>(windows: TextWindows, render: (base: B, key: K, text: string) => SseFrame) {
  const channels = new Map<K, Channel<B>>();
  const release = (key: K, channel: Channel<B>, text: string, emit: Emit) => {
    if (text === "") return;
    channel.released += text;
    if (windows.holds) emit(render(channel.base, key, text));
  };
  // Checks the windows in order; each released before the next is asked.
  const checkAll = (list: [K, Channel<B>, string, boolean][], from: number, emit: Emit): Step => {
    for (let i = from; i < list.length; i++) {
      const [key, channel, text, final] = list[i]!;
      const out = windows.check(text, final);
      if (typeof out !== "string") {
        return out.then((released) => {
          release(key, channel, released, emit);
          return checkAll(list, i + 1, emit);
        });
      }
      release(key, channel, out, emit);
    }
  };
  return {
    add(key: K, text: string, base: B): void {
      let channel = channels.get(key);
      if (!channel) channels.set(key, (channel = { text: "", base, released: "", open: true }));
      channel.text += text;
      channel.base = base;
      channel.open = true;
    },
    /** Full windows. */
    checkFull(emit: Emit): Step {
      let list: [K, Channel<B>, string, boolean][] | null = null;
      for (const [key, channel] of channels) {
        while (channel.text.length >= windows.chars) {
          const cut = isHighSurrogate(channel.text.charCodeAt(windows.chars - 1)) ? windows.chars - 1 : windows.chars;
          (list ??= []).push([key, channel, channel.text.slice(0, cut), false]);
          channel.text = channel.text.slice(cut);
        }
      }
      return list ? checkAll(list, 0, emit) : undefined;
    },
    /** Before a frame that is not text: what is held goes first (nothing is held in a dry run). */
    checkHeld(emit: Emit): Step {
      if (!windows.holds) return;
      let list: [K, Channel<B>, string, boolean][] | null = null;
      for (const [key, channel] of channels) {
        if (channel.text === "") continue;
        (list ??= []).push([key, channel, channel.text, false]);
        channel.text = "";
      }
      return list ? checkAll(list, 0, emit) : undefined;
    },
    /** Channels end (all of them without `keys`): their last window, marked final. */
    finish(emit: Emit, keys?: readonly K[]): Step {
      const list: [K, Channel<B>, string, boolean][] = [];
      for (const [key, channel] of channels) {
        if (!channel.open || (keys && !keys.includes(key))) continue;
        list.push([key, channel, channel.text, true]);
        channel.text = "";
        channel.open = false;
      }
      return checkAll(list, 0, emit);
    },
    released: (key: K): string | undefined => channels.get(key)?.released,
  };
}
