/**
 * One request the stub is still answering: owns its pending timer so that a client
 * disconnect (or `stop()`) ends every wait at once and is counted exactly once.
 */
export interface Exchange {
  /** Resolves true after `ms`, or false as soon as the exchange is aborted. */
  sleep(ms: number): Promise<boolean>;
  /** Resolves only when the exchange is aborted. */
  hang(): Promise<void>;
  /** The stub has sent everything (or dropped on purpose): later disconnects are not aborts. */
  finish(): void;
  /** The client went away (`byClient`) or the server is stopping. */
  abort(byClient: boolean): void;
  readonly open: boolean;
}

export interface ExchangeHooks {
  onClientAbort(): void;
  onSettled(exchange: Exchange): void;
}

export function createExchange(hooks: ExchangeHooks): Exchange {
  let open = true;
  let timer: Timer | undefined;
  let wake: (() => void) | undefined;

  const settle = () => {
    open = false;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    wake?.();
    wake = undefined;
    hooks.onSettled(exchange);
  };

  const exchange: Exchange = {
    get open() {
      return open;
    },
    sleep(ms) {
      if (!open) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        wake = () => resolve(false);
        timer = setTimeout(() => {
          timer = undefined;
          wake = undefined;
          resolve(true);
        }, ms);
      });
    },
    hang() {
      if (!open) return Promise.resolve();
      return new Promise<void>((resolve) => {
        wake = resolve;
      });
    },
    finish() {
      if (open) settle();
    },
    abort(byClient) {
      if (!open) return;
      settle();
      if (byClient) hooks.onClientAbort();
    },
  };
  return exchange;
}
