// The checks as typed stages. A stage reads what the stages before it established and either refuses the call
// or returns what it adds; a chain of stages is built with `then`, which accepts a stage only when what it reads
// is known by then, so the compiler keeps the order (policy/checks.ts).
import type { Refusal } from '../errors.ts'
import type { PolicyContext } from './types.ts'

/** What a stage adds when it only lets a call pass or refuses it: no field, and, as any addition, none of a refusal's. */
export interface Nothing {
  code?: never
  refused?: never
}

/** What a stage may add: named fields, never a refusal's (how the runner tells the two apart). */
export type Additions = object & Nothing

/** A refusal, with what the stage had established before it (a token's claims as far as read, for the traccia). */
export interface Refused<Adds> {
  refused: Refusal
  established: Partial<Adds>
}

/** A stage's answer: its additions (nothing, when all of them are optional), or a refusal. */
export type Verdict<Adds> = Refusal | Refused<Adds> | (Partial<Adds> extends Adds ? Adds | undefined : Adds)

export interface Stage<In, Adds extends Additions = Nothing> {
  readonly name: string
  // a property, not a method: its parameter is then checked contravariantly, which is what makes `then` strict
  readonly check: (call: In, context: PolicyContext) => Verdict<Adds> | Promise<Verdict<Adds>>
}

/** The refusal in a verdict, if it is one. */
export function refusalOf(verdict: Verdict<Additions>): Refusal | undefined {
  if (verdict === undefined) return undefined
  if ('code' in verdict) return verdict as Refusal
  if ('refused' in verdict) return (verdict as Refused<Additions>).refused
  return undefined
}

export type Run<Known> = { refusal: Refusal } | { passed: Known }

export interface Chain<Start, Known> {
  readonly names: readonly string[]
  then<Adds extends Additions>(stage: Stage<Known, Adds>): Chain<Start, Known & Adds>
  /**
   * Runs the stages in order. What each adds is written onto the call itself, so that whatever stops it, the
   * call tells what was established before (the traccia of a refusal reads it).
   */
  run(call: Start, context: PolicyContext): Promise<Run<Known>>
}

type AnyStage = Stage<never, Additions>

export function chain<Start extends object>(): Chain<Start, Start> {
  return chainOf<Start, Start>([])
}

function chainOf<Start extends object, Known>(stages: readonly AnyStage[]): Chain<Start, Known> {
  return {
    names: stages.map((s) => s.name),
    then: <Adds extends Additions>(stage: Stage<Known, Adds>) => chainOf<Start, Known & Adds>([...stages, stage]),
    async run(call, context) {
      for (const stage of stages) {
        const verdict = await stage.check(call as never, context)
        if (verdict === undefined) continue
        if ('code' in verdict) return { refusal: verdict as Refusal }
        if ('refused' in verdict) {
          const { refused, established } = verdict as Refused<Additions>
          Object.assign(call, established)
          return { refusal: refused }
        }
        Object.assign(call, verdict)
      }
      // every stage passed: the call holds what each of them added
      return { passed: call as unknown as Known }
    },
  }
}
