/** The ingest side of the bus: every batch the store has accepted is published once, as it was applied. */
import type { Batch } from "../domain/types.js";
import type { LiveBus } from "./pubsub.js";

/** Whatever announces the batches the store accepted (the flusher). */
export interface AppliedBatches {
  onApplied(listener: (batch: Batch) => void): () => void;
}

/** Returns the unsubscribe function. Publishing never throws into the flusher (the bus logs its own failures). */
export function publishAppliedBatches(flusher: AppliedBatches, bus: LiveBus): () => void {
  return flusher.onApplied((batch) => bus.pubsub.publish("flushed", { id: batch.id, deltas: batch.deltas }));
}
