import type { SseFrame } from "./sse-frame.ts";

/** Where a stage sends frames: the next stage, or the usage tap and the client. */
export type Emit = (frame: SseFrame) => void;

/**
 * A frame transform as plain calls (during-call guardrails): the fused relay loop runs stages
 * without per-stage stream queues; `stageTransform` wraps one as a TransformStream.
 *
 * A stage is synchronous unless it has to wait (an HTTP guardrail answering a text window):
 * then `frame` or `end` returns a promise, and the relay reads nothing more from the upstream
 * until it settles. A stage may still be handed frames (by the stage before it) while it waits;
 * it must keep them in order. A stage that rejects with `StreamHalt` ends the client's stream.
 */
export interface FrameStage {
  frame(frame: SseFrame, emit: Emit): void | Promise<void>;
  /** The upstream ended: emit what is held back. */
  end(emit: Emit): void | Promise<void>;
  /** The stream ends early (client gone, upstream failed, another stage halted): stop waiting. */
  cancel?(): void;
}

/**
 * A stage ends the client's stream: `frame` (an SSE error event) is the last thing the client
 * gets, `code` is what the usage row records; the upstream is cancelled.
 */
export class StreamHalt extends Error {
  constructor(
    readonly code: string,
    readonly frame: SseFrame,
  ) {
    super(code);
  }
}

export function stageTransform(stage: FrameStage): TransformStream<SseFrame, SseFrame> {
  return new TransformStream<SseFrame, SseFrame>({
    transform: (frame, controller) => stage.frame(frame, (f) => controller.enqueue(f)),
    flush: (controller) => stage.end((f) => controller.enqueue(f)),
  });
}

export interface StageChain {
  frame: Emit;
  /** undefined when no stage is waiting (the fast path allocates nothing), else when all settle. */
  settle(): Promise<void> | undefined;
  /** Ends every stage in order, each after the frames before it went through. */
  end(): Promise<void> | undefined;
  cancel(): void;
}

const ignore = () => {};

/**
 * Stages in order, ending in `sink`. A stage that returns a promise makes its link busy: frames
 * for it queue behind the promise (one `then` each) until it settles. Synchronous stages cost one
 * call and one null check per frame.
 */
export function chainStages(stages: readonly FrameStage[], sink: Emit): StageChain {
  const emits: Emit[] = [];
  const waits: (Promise<void> | null)[] = stages.map(() => null);
  let next = sink;
  for (let i = stages.length - 1; i >= 0; i--) {
    const stage = stages[i]!;
    const downstream = next;
    emits[i] = downstream;
    next = (f) => {
      const busy = waits[i];
      if (busy) {
        waits[i] = busy.then(() => stage.frame(f, downstream));
        waits[i]!.catch(ignore);
        return;
      }
      const wait = stage.frame(f, downstream);
      // Only a promise waits: a stage may well `return emit(frame)`, whatever the sink returns.
      if (wait instanceof Promise) {
        waits[i] = wait;
        wait.catch(ignore);
      }
    };
  }
  const firstBusy = () => {
    for (let i = 0; i < waits.length; i++) if (waits[i]) return i;
    return -1;
  };
  async function settleAll(): Promise<void> {
    for (let i = firstBusy(); i >= 0; i = firstBusy()) {
      const wait = waits[i]!;
      try {
        await wait;
      } finally {
        if (waits[i] === wait) waits[i] = null;
      }
    }
  }
  async function endFrom(from: number): Promise<void> {
    await settleAll();
    for (let i = from; i < stages.length; i++) {
      await stages[i]!.end(emits[i]!);
      await settleAll();
    }
  }
  return {
    frame: next,
    settle: () => (firstBusy() < 0 ? undefined : settleAll()),
    end() {
      for (let i = 0; i < stages.length; i++) {
        if (firstBusy() >= 0) return endFrom(i);
        const wait = stages[i]!.end(emits[i]!);
        if (wait instanceof Promise) return wait.then(() => endFrom(i + 1));
      }
      return firstBusy() < 0 ? undefined : settleAll();
    },
    cancel: () => stages.forEach((stage) => stage.cancel?.()),
  };
}
