/** Collects what is sent during one turn of the event loop and hands it over as one batch. */
export function batchPerTurn<T>(send: (batch: T[]) => void): (item: T) => void {
  let batch: T[] = [];
  return (item) => {
    batch.push(item);
    if (batch.length > 1) return;
    setImmediate(() => {
      const full = batch;
      batch = [];
      send(full);
    });
  };
}
