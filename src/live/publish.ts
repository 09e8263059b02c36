/** The ingest side of the bus: every batch the store has accepted is published once, as it was applied. */
import type { Flusher } from "../ingest/flusher.js";
import type { LiveBus } from "./pubsub.js";

/** Returns the unsubscribe function. Publishing never throws into the flusher (the bus logs its own failures). */
export function publishAppliedBatches(flusher: Pick<Flusher, "onApplied">, bus: LiveBus): () => void {
  return flusher.onApplied((batch) => bus.pubsub.publish("flushed", { id: batch.id, deltas: batch.deltas }));
}
