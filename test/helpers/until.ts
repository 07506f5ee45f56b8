// Waiting for a state, not for a time: polls until the condition holds, and fails naming what never came (the
// bound only keeps a broken run from hanging; a passing run waits exactly as long as the state takes).
export async function until<T>(what: string, condition: () => T | Promise<T>, boundMs = 30_000): Promise<NonNullable<T>> {
  const started = performance.now()
  for (;;) {
    const value = await condition()
    if (value) return value
    if (performance.now() - started > boundMs) throw new Error(`never came: ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
