// SPDX-License-Identifier: Apache-2.0

/** A typed publish/subscribe bus: event names map to payload types. */
export type Handler<T> = (payload: T) => void;

export class EventBus<Events extends Record<string, unknown>> {
  private handlers: { [K in keyof Events]?: Set<Handler<Events[K]>> } = {};

  on<K extends keyof Events>(event: K, handler: Handler<Events[K]>): () => void {
    const set = (this.handlers[event] ??= new Set<Handler<Events[K]>>());
    set.add(handler);
    return () => this.off(event, handler);
  }

  once<K extends keyof Events>(event: K, handler: Handler<Events[K]>): () => void {
    const off = this.on(event, (payload) => {
      off();
      handler(payload);
    });
    return off;
  }

  off<K extends keyof Events>(event: K, handler: Handler<Events[K]>): void {
    this.handlers[event]?.delete(handler);
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): number {
    const set = this.handlers[event];
    if (!set) return 0;
    for (const handler of [...set]) {
      handler(payload);
    }
    return set.size;
  }
}

// Example:
// const bus = new EventBus<{ saved: { id: string }; closed: void }>();
// bus.on("saved", ({ id }) => console.log("saved", id));
