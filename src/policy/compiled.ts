// Compiles a convenzione setting (a CIDR list, a fascia SPEC) once per distinct value: convenzioni are few,
// their settings change rarely, and every call reads them. Bounded, so odd values cannot grow it forever.
export function compiledBy<T>(compile: (source: string) => T, limit = 10_000): (source: string) => T {
  const cache = new Map<string, T>()
  return (source) => {
    let value = cache.get(source)
    if (value === undefined) {
      if (cache.size >= limit) cache.clear()
      value = compile(source)
      cache.set(source, value)
    }
    return value
  }
}
