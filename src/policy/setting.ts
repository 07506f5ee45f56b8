// A convenzione setting, declared once beside the check that reads it. Everything else derives from the
// descriptor: the column and how it is written and read (registry/convenzioni.ts), the admin API's schema
// (admin/), the option of `invciv convenzione add|update` (cli/), and the validation all of them share.
import type { ConvenzioneSettings } from './convenzione.ts'

export type SettingName = keyof ConvenzioneSettings

export interface Setting<N extends SettingName = SettingName> {
  name: N
  /** its column in convenzioni */
  column: string
  /** SQL type its parameter is written as; read back as `column` cast to `readAs` when given */
  sqlType: string
  readAs?: string
  /** JSON schema of the value, as the admin API takes it; `integer`, `string` or `array` also tells the CLI how to parse it */
  schema: { type: 'integer' | 'string' | 'array'; [keyword: string]: unknown }
  /** the option of `convenzione add|update`, e.g. `--max-giornaliere <N>`, and its help */
  cli: { flag: string; description: string }
  /** at creation: required, or an SQL default (`{otherSetting}` stands for that setting's value), or null */
  create: { required: true } | { default: string } | { nullable: true }
  /** the value as it is stored (a trimmed spec, say); the value itself when absent */
  normalise?(value: ConvenzioneSettings[N]): ConvenzioneSettings[N]
  /** a rule the schema cannot say (the fascia grammar): the problem, or undefined */
  problem?(value: ConvenzioneSettings[N]): string | undefined
}

/**
 * Declares a setting; the name ties it to ConvenzioneSettings, so its value type is checked where it is read,
 * and whether it is required at creation stays in its type (registry/convenzioni.ts's input type uses it).
 */
export function setting<N extends SettingName, const C extends Setting['create']>(
  descriptor: Setting<N> & { create: C },
): Setting<N> & { create: C } {
  // an SQL integer holds no more: a larger value is refused as input, never left for the database to fail on
  if (descriptor.sqlType === 'integer' && descriptor.schema.type === 'integer' && descriptor.schema.maximum === undefined) {
    return { ...descriptor, schema: { ...descriptor.schema, maximum: SQL_INTEGER_MAX } }
  }
  return descriptor
}

/** The largest value of an SQL integer (int4). */
export const SQL_INTEGER_MAX = 2_147_483_647

/** The flag without its argument, as messages name a setting for people: `--max-giornaliere`. */
export const labelOf = (s: Setting) => s.cli.flag.split(' ')[0] as string
