/**
 * Tells the engine that events were queued outside its own poll loops (a webhook, "run now", a
 * replay), so an idle flow starts them at once instead of reading the store on a timer.
 */
export class QueuedSignal {
  #listener: ((flowId: string) => void) | undefined;

  listen(listener: ((flowId: string) => void) | undefined): void {
    this.#listener = listener;
  }

  queued(flowId: string): void {
    this.#listener?.(flowId);
  }
}
