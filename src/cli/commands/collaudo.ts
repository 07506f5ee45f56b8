// invciv collaudo: the collaudo environment's own commands (issue 36), refused on any database not marked
// collaudo. `carica` loads the published test data for today; `dati` prints them with today's dates; `rapporto`
// says which esiti and refusals a convenzione's system has met, from the trail.
import { Command, Option } from 'commander'
import { caricaDatiCollaudo, requireCollaudo } from '../../collaudo/carica.ts'
import { datiPubblicati, giornoCaricato } from '../../collaudo/dati.ts'
import { writeKit } from '../../collaudo/kit.ts'
import { loadConfig } from '../../config.ts'
import { showConvenzione } from '../../registry/convenzioni.ts'
import { romeDate } from '../../clock.ts'
import path from 'node:path'
import { rapportoCollaudo } from '../../collaudo/rapporto.ts'
import { print, positiveInt, withDatabase } from '../output.ts'

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z')

export function collaudoCommands(program: Command): void {
  const collaudo = program.command('collaudo').description('the collaudo environment: its test data and the conformance report')
  collaudo
    .command('carica')
    .description('replace every verbale with the published test data, dated from today (Europe/Rome)')
    .action(async (_o, cmd: Command) => {
      const loaded = await withDatabase((db) => caricaDatiCollaudo(db.pool, new Date()))
      print(cmd, loaded, `${loaded.verbali} test verbali loaded, dated from ${loaded.giorno}`)
    })
  collaudo
    .command('dati')
    .description('the published test data as loaded: each case, what to send and what comes back; how to meet each refusal')
    .action(async (_o, cmd: Command) => {
      const dati = await withDatabase(async (db) => {
        await requireCollaudo(db.pool, 'the published test data are shown')
        return datiPubblicati(db.pool)
      })
      const casi = dati.casi.map(
        (c) =>
          `${c.caso}\t${c.richiesta.codiceFiscale}\t${c.richiesta.numeroVerbale}\t${c.richiesta.dataVerbale}\t${c.richiesta.categoria}` +
          `${c.richiesta.giudizio ? `\tgiudizio ${c.richiesta.giudizio}` : ''}\t→ ${Object.values(c.risposta).join(' ')}`,
      )
      const rifiuti = dati.rifiuti.map((r) => `${r.codice}\t${r.come}`)
      print(cmd, dati, [`dated from ${dati.giorno ?? '(not loaded: invciv collaudo carica)'}`, ...casi, '', ...rifiuti].join('\n'))
    })
  collaudo
    .command('kit')
    .description(
      'the onboarding kit: the WSDL, XSD and OpenAPI, a request per published case and provocable refusal, a curl script, a Bruno collection',
    )
    .requiredOption('--out <DIR>', 'the folder to write it into')
    .option('--url <URL>', "the collaudo gateway's address as partners reach it (default: INVCIV_PUBLIC_URL)")
    .addOption(
      new Option('--convenzione <ID>', "the partner's convenzione: with the spcoop profile, its requests in e-Gov buste too").argParser(
        positiveInt('--convenzione'),
      ),
    )
    .action(async (o: { out: string; url?: string; convenzione?: number }, cmd: Command) => {
      const config = loadConfig()
      const url = (o.url ?? config.publicUrl ?? 'https://localhost:8443').replace(/\/+$/, '')
      const { giorno, convenzione } = await withDatabase(async (db) => {
        await requireCollaudo(db.pool, 'the onboarding kit is made')
        return {
          giorno: (await giornoCaricato(db.pool)) ?? romeDate(new Date()),
          convenzione: o.convenzione === undefined ? undefined : await showConvenzione(db.pool, o.convenzione),
        }
      })
      const made = writeKit(
        path.resolve(o.out),
        url,
        giorno,
        convenzione && { convenzione, inps: config.spcoop, audience: config.modi.audience },
      )
      print(cmd, { ...made, giorno, url }, `${made.files} files written in ${o.out}, for ${url} with the test data of ${giorno}`)
    })
  collaudo
    .command('rapporto')
    .description('which esiti and refusals the convenzione has met in collaudo, and which not yet')
    .addOption(new Option('--convenzione <ID>', 'convenzione id').argParser(positiveInt('--convenzione')).makeOptionMandatory())
    .action(async (o: { convenzione: number }, cmd: Command) => {
      const r = await withDatabase((db) => rapportoCollaudo(db.pool, o.convenzione))
      const line = (i: (typeof r.incontrati)[number]) =>
        `  ${i.codice}\t${i.chiamate} calls\t${iso(i.primaIl)} .. ${iso(i.ultimaIl)}\t${i.canali.join(', ')}`
      print(
        cmd,
        r,
        [
          `convenzione ${r.convenzioneId} (${r.enteCodice}): ${r.completo ? 'every required esito and refusal met' : `${r.mancanti.length} not met yet`}`,
          'met:',
          ...(r.incontrati.length ? r.incontrati.map(line) : ['  (none)']),
          'not met yet:',
          ...(r.mancanti.length ? r.mancanti.map((c) => `  ${c}`) : ['  (none)']),
          ...(r.altri.length ? ['also met:', ...r.altri.map(line)] : []),
        ].join('\n'),
      )
    })
}
