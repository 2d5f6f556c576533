/**
 * The Deno Worker behind the concentration's `workers`: loads ConceptNet on `init`, then
 * scores the batches of text units it is sent (see `WorkerRequest` in data/concentrate/scorer.ts).
 * @module
 */
/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
import { workerHandler, type WorkerRequest } from "./scorer.ts";

const handle = workerHandler((reply, transfer) => self.postMessage(reply, transfer ?? []));
self.onmessage = (e: MessageEvent<WorkerRequest>) => {
  void handle(e.data);
};
