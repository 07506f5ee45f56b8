// Text that came from outside, made harmless for whoever reads it: control characters and bidirectional
// overrides would let a value hide or reorder what an auditor or an operator reads on a terminal or a page (and
// PostgreSQL cannot store a NUL at all), so each is written as a visible <U+XXXX>. Lives at the bottom of the
// house: the trail's writer, the refusals' reasons and what a refusal echoes to the partner all use it.

// C0 and C1 controls, the bidi embeddings, overrides and isolates, the directional marks and the Arabic letter mark
const HIDING = /[\p{Cc}\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/gu

/** The text with every control and bidi character written as <U+XXXX>. */
export function neutralise(text: string): string {
  return text.replace(HIDING, (c) => `<U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}>`)
}

/** A name a partner chose (a JSON key, an element), fit to be echoed back: neutralised and cut short. */
export const echoed = (name: string, max = 64): string => neutralise(name.slice(0, max))
