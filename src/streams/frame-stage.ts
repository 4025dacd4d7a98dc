import type { SseFrame } from "./sse-frame.ts";

/** Where a stage sends frames: the next stage, or the usage tap and the client. */
export type Emit = (frame: SseFrame) => void;

/**
 * A frame transform as plain calls (during-call guardrails): the fused relay loop runs stages
 * without per-stage stream queues; `stageTransform` wraps one as a TransformStream.
 */
export interface FrameStage {
  frame(frame: SseFrame, emit: Emit): void;
  /** The upstream ended: emit what is held back. */
  end(emit: Emit): void;
}

export function stageTransform(stage: FrameStage): TransformStream<SseFrame, SseFrame> {
  return new TransformStream<SseFrame, SseFrame>({
    transform: (frame, controller) => stage.frame(frame, (f) => controller.enqueue(f)),
    flush: (controller) => stage.end((f) => controller.enqueue(f)),
  });
}

/** Stages in order, ending in `sink`: one function per frame, one per end. */
export function chainStages(stages: readonly FrameStage[], sink: Emit): { frame: Emit; end: () => void } {
  const emits: Emit[] = [];
  let next = sink;
  for (let i = stages.length - 1; i >= 0; i--) {
    const stage = stages[i]!;
    const downstream = next;
    emits[i] = downstream;
    next = (frame) => stage.frame(frame, downstream);
  }
  return { frame: next, end: () => stages.forEach((stage, i) => stage.end(emits[i]!)) };
}
