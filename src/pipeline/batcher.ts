// Calls in flight share their reads the way they share their commit (group-commit.ts): a call's key joins a
// queue; a statement takes the whole queue (up to maxBatch) while at most maxInFlight such statements run, so
// one call alone goes at once, and under load one round trip, one parse and one socket write serve many calls.
// A failed statement fails each call of its batch, as its own read would have.

export interface BatchOptions {
  /** keys per statement: large enough to amortise a round trip, small enough to keep the statement short */
  maxBatch: number
  /** statements running at once: more than one, so a slow batch does not hold up those behind it */
  maxInFlight: number
  /** told of each statement: how long it took and for how many keys */
  observe?: (seconds: number, keys: number) => void
}

interface Waiting<K, R> {
  key: K
  resolve(result: R): void
  reject(err: unknown): void
}

/** The shared reads' setting: enough calls to amortise a round trip; two statements at once, so a slow one does not hold up the rest. */
export const READ_BATCH = { maxBatch: 256, maxInFlight: 2 } as const

/** `run` answers one result per key, in the keys' order. */
export function createBatcher<K, R>(run: (keys: K[]) => Promise<R[]>, options: BatchOptions): (key: K) => Promise<R> {
  let queue: Array<Waiting<K, R>> = []
  let running = 0

  function next(): void {
    while (running < options.maxInFlight && queue.length > 0) {
      const batch = queue.slice(0, options.maxBatch)
      queue = queue.slice(options.maxBatch)
      running++
      const started = performance.now()
      run(batch.map((w) => w.key))
        .then((results) => {
          options.observe?.((performance.now() - started) / 1000, batch.length)
          if (results.length !== batch.length) throw new Error(`a batched read answered ${results.length} results for ${batch.length} keys`)
          batch.forEach((w, i) => w.resolve(results[i] as R))
        })
        .catch((err: unknown) => {
          for (const w of batch) w.reject(err)
        })
        .finally(() => {
          running--
          next()
        })
    }
  }

  return (key) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ key, resolve, reject })
      next()
    })
}
