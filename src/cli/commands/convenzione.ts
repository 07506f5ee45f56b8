// invciv convenzione: the agreements, their settings (one option per setting descriptor) and lifecycle.
import { Command, Option } from 'commander'
import {
  changeStato,
  createConvenzione,
  listConvenzioni,
  quotaToday,
  renewConvenzione,
  showConvenzione,
  updateConvenzione,
  type ConvenzioneInput,
  type ConvenzioneUpdate,
  type LifecycleAction,
} from '../../registry/convenzioni.ts'
import { settingList } from '../../policy/settings.ts'
import { labelOf, type Setting } from '../../policy/setting.ts'
import { listCertificates } from '../../registry/certificati.ts'
import { describeChange, print, positiveInt, withDatabase } from '../output.ts'
import { auditedHistory } from '../../audit/auditor-access.ts'
import { cliActor } from '../context.ts'

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)

// The options of `convenzione add|update`: one per setting, from its descriptor (policy/settings.ts).
function optionOf(s: Setting): Option {
  const option = new Option(s.cli.flag, s.cli.description)
  if (s.schema.type === 'integer')
    option.argParser(positiveInt(labelOf(s), typeof s.schema.maximum === 'number' ? s.schema.maximum : undefined))
  else if (s.schema.type === 'array') option.argParser(list)
  return option
}

/** The setting options on a command; those required at creation are mandatory on `add`. */
function limitOptions(command: Command, creating: boolean): Command {
  for (const s of settingList) command.addOption(creating && 'required' in s.create ? optionOf(s).makeOptionMandatory() : optionOf(s))
  return command
}

/** The settings given on the command line, by name. */
const limitsOf = (o: Record<string, unknown>): ConvenzioneUpdate =>
  Object.fromEntries(settingList.map((s): [string, unknown] => [s.name, o[optionOf(s).attributeName()]]).filter(([, v]) => v !== undefined))

function describeConvenzione(c: Awaited<ReturnType<typeof showConvenzione>>): string {
  return [
    `convenzione ${c.id} (${c.enteCodice}) ${c.stato}, valida ${c.validaDal}..${c.validaAl}`,
    `  ip ${c.ipConsentiti.join(', ')}; fascia ${c.fasciaOraria}`,
    `  max ${c.maxGiornaliere}/giorno${c.mediaGiornaliera ? `, media ${c.mediaGiornaliera}` : ''}; blocco dopo ${c.maxTentativi} in ${c.finestraTentativiMinuti} min ` +
      `(sblocco ${c.sbloccoOperatori}); sospensione dopo ${c.maxFallimentiConvenzione} fallimenti in ${c.finestraTentativiMinuti} min${c.maxOperatori ? `; max ${c.maxOperatori} operatori` : ''}`,
  ].join('\n')
}

export function convenzioneCommands(program: Command): void {
  const convenzione = program.command('convenzione').description('convenzioni and their limits')
  limitOptions(
    convenzione
      .command('add')
      .description('register a convenzione for an ente; prints its id')
      .requiredOption('--ente <IPA>', 'IPA code of the ente'),
    true,
  ).action(async (o: Record<string, unknown> & { ente: string }, cmd: Command) => {
    // commander has made the required settings mandatory; createConvenzione checks them again
    const created = await withDatabase((db) =>
      createConvenzione(db.pool, cliActor(), { ...limitsOf(o), enteCodice: o.ente } as ConvenzioneInput),
    )
    print(cmd, { id: created.id, validaAl: created.validaAl }, String(created.id))
  })
  limitOptions(
    convenzione
      .command('update')
      .description('change limits of a convenzione (any option of add)')
      .argument('<ID>', 'convenzione id', positiveInt('ID')),
    false,
  ).action(async (id: number, o: Record<string, unknown>, cmd: Command) => {
    const updated = await withDatabase((db) => updateConvenzione(db.pool, cliActor(), id, limitsOf(o)))
    print(cmd, updated, describeConvenzione(updated))
  })
  convenzione
    .command('list')
    .description('every convenzione')
    .option('--ente <IPA>', 'only those of this ente')
    .action(async (o: { ente?: string }, cmd: Command) => {
      const rows = await withDatabase((db) => listConvenzioni(db.pool, o.ente))
      print(
        cmd,
        rows,
        rows
          .map((c) => `${c.id}\t${c.enteCodice}\t${c.stato}\t${c.validaDal}..${c.validaAl}\toggi ${c.usateOggi}/${c.maxGiornaliere}`)
          .join('\n') || '(none)',
      )
    })
  convenzione
    .command('show')
    .description('one convenzione with its limits, certificates and history (the change log)')
    .argument('<ID>', 'convenzione id', positiveInt('ID'))
    .action(async (id: number, _o, cmd: Command) => {
      const shown = await withDatabase(async (db) => {
        const convenzione = await showConvenzione(db.pool, id)
        return {
          ...convenzione,
          quotaOggi: await quotaToday(db.pool, convenzione),
          certificati: await listCertificates(db.pool, { convenzioneId: id }),
          modifiche: await auditedHistory(db.pool, { who: cliActor().etichetta }, id),
        }
      })
      print(
        cmd,
        shown,
        [
          describeConvenzione(shown),
          `  oggi ${shown.quotaOggi.usate} di ${shown.quotaOggi.limite} (restano ${shown.quotaOggi.rimanenti}; si azzera ${shown.quotaOggi.azzeramento.toISOString()})`,
          ...shown.certificati.map((k) => `  ${k.fingerprint} ${k.stato} ${k.giorniAllaScadenza} giorni`),
          `storia (${shown.modifiche.length} modifiche):`,
          ...shown.modifiche.map((c) => `  ${describeChange(c)}`),
        ].join('\n'),
      )
    })

  const lifecycle: Array<[LifecycleAction, string]> = [
    ['suspend', 'suspend a convenzione: its calls are refused until resumed'],
    ['resume', 'resume a suspended convenzione'],
    ['revoke', 'revoke a convenzione (recesso): final'],
  ]
  const convenzioneId = () => positiveInt('ID')
  for (const [action, description] of lifecycle) {
    convenzione
      .command(action)
      .description(description)
      .argument('<ID>', 'convenzione id', convenzioneId())
      .action(async (id: number, _o, cmd: Command) => {
        const changed = await withDatabase((db) => changeStato(db.pool, cliActor(), id, action))
        print(cmd, changed, `convenzione ${changed.id} is now ${changed.stato}`)
      })
  }
  convenzione
    .command('renew')
    .description('extend a convenzione by five years, or to --al')
    .argument('<ID>', 'convenzione id', convenzioneId())
    .option('--al <DATE>', 'new last valid day YYYY-MM-DD')
    .action(async (id: number, o: { al?: string }, cmd: Command) => {
      const renewed = await withDatabase((db) => renewConvenzione(db.pool, cliActor(), id, o.al))
      print(cmd, renewed, `convenzione ${renewed.id} valid until ${renewed.validaAl}`)
    })
}
