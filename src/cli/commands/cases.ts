// invciv caso: anomalies as cases (richiesta di chiarimenti): open, request, documents, outcome.
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { Command, Option } from 'commander'
import {
  addDocumento,
  closeCaso,
  documento,
  ESITI,
  listCasi,
  openCaso,
  recordRichiesta,
  showCaso,
  type CasoView,
  type EsitoCaso,
} from '../../anomalies/cases.ts'
import { print, positiveInt, withDatabase } from '../output.ts'
import { cliActor } from '../context.ts'

const line = (k: CasoView) =>
  `${k.id}\t${k.stato}${k.scaduto ? ' SCADUTO' : ''}\tanomalia ${k.anomaliaId} (${k.tipo}, ${k.gravita})\tscadenza ${k.scadenza ?? '-'}\t${k.esito ?? ''}`

function describe(k: CasoView): string {
  return [
    `caso ${k.id}: ${k.stato}${k.scaduto ? ', SCADUTO' : ''}; anomalia ${k.anomaliaId} (${k.tipo}, ${k.gravita}) ${k.descrizione}`,
    k.richiestaTesto
      ? `  richiesta del ${k.richiestaInviataIl ?? ''}, scadenza ${k.scadenza ?? ''}: ${k.richiestaTesto}`
      : '  nessuna richiesta registrata',
    ...k.documenti.map((d) => `  documento ${d.id}: ${d.nome} (${d.tipo}, ${d.byte} byte, sha256 ${d.sha256})`),
    k.esito
      ? `  esito: ${k.esito}${k.autorita ? `, segnalato a ${k.autorita.join(', ')} il ${k.segnalatoIl ?? ''}` : ''}${k.nota ? ` (${k.nota})` : ''}`
      : '',
  ]
    .filter(Boolean)
    .join('\n')
}

export function casesCommands(program: Command): void {
  const caso = program
    .command('caso')
    .description('anomalies as cases: the request for clarifications to the ente, its documents, the outcome')
  caso
    .command('list')
    .description('cases, open ones first, overdue first of all')
    .option('--aperti', 'only open cases')
    .action(async (o: { aperti?: boolean }, cmd: Command) => {
      const rows = await withDatabase((db) => listCasi(db.pool, { soloAperti: o.aperti }))
      print(cmd, rows, rows.map(line).join('\n') || '(none)')
    })
  caso
    .command('show')
    .argument('<ID>', 'caso id', positiveInt('ID'))
    .description('a case in full')
    .action(async (id: number, _o, cmd: Command) => {
      const k = await withDatabase((db) => showCaso(db.pool, id))
      print(cmd, k, describe(k))
    })
  caso
    .command('apri')
    .argument('<ANOMALIA>', 'anomalia id', positiveInt('ANOMALIA'))
    .description("opens the anomaly's case")
    .action(async (anomalia: number, _o, cmd: Command) => {
      const k = await withDatabase((db) => openCaso(db.pool, cliActor(), anomalia))
      print(cmd, k, `caso ${k.id} aperto per l'anomalia ${anomalia}`)
    })
  caso
    .command('richiesta')
    .argument('<ID>', 'caso id', positiveInt('ID'))
    .description('records the request sent to the ente and its deadline')
    .requiredOption('--testo <TEXT>', 'what was asked')
    .requiredOption('--scadenza <DATE>', 'the date it must answer by, YYYY-MM-DD')
    .option('--inviata-il <DATE>', 'when it was sent (default today)')
    .action(async (id: number, o: { testo: string; scadenza: string; inviataIl?: string }, cmd: Command) => {
      const k = await withDatabase((db) => recordRichiesta(db.pool, cliActor(), id, o))
      print(cmd, k, describe(k))
    })
  caso
    .command('documento')
    .argument('<ID>', 'caso id', positiveInt('ID'))
    .argument('<FILE>', 'the file received')
    .description('keeps a document the ente sent, with its SHA-256')
    .option('--tipo <MEDIA>', 'its media type', 'application/octet-stream')
    .action(async (id: number, file: string, o: { tipo: string }, cmd: Command) => {
      const saved = await withDatabase((db) =>
        addDocumento(db.pool, cliActor(), id, { nome: path.basename(file), tipo: o.tipo, contenuto: readFileSync(file) }),
      )
      print(cmd, saved, `documento ${saved.id}, sha256 ${saved.sha256}`)
    })
  caso
    .command('scarica')
    .argument('<ID>', 'caso id', positiveInt('ID'))
    .argument('<DOC>', 'documento id', positiveInt('DOC'))
    .argument('<FILE>', 'where to write it')
    .description('writes a document as it was received')
    .action(async (id: number, doc: number, file: string, _o, cmd: Command) => {
      const d = await withDatabase((db) => documento(db.pool, id, doc))
      writeFileSync(file, d.contenuto, { flag: 'wx' })
      print(cmd, { file, sha256: d.sha256 }, `${file}: ${d.nome}, sha256 ${d.sha256}`)
    })
  caso
    .command('esito')
    .argument('<ID>', 'caso id', positiveInt('ID'))
    .description('closes the case with its outcome (disabling or suspending happens here)')
    .addOption(new Option('--esito <ESITO>', 'the outcome').choices([...ESITI]).makeOptionMandatory())
    .option('--autorita <LIST>', 'segnalato-autorita: which authorities, comma-separated')
    .option('--segnalato-il <DATE>', 'segnalato-autorita: when, YYYY-MM-DD')
    .option('--nota <TEXT>', 'why')
    .action(async (id: number, o: { esito: EsitoCaso; autorita?: string; segnalatoIl?: string; nota?: string }, cmd: Command) => {
      const k = await withDatabase((db) =>
        closeCaso(db.pool, cliActor(), id, { esito: o.esito, autorita: o.autorita?.split(','), segnalatoIl: o.segnalatoIl, nota: o.nota }),
      )
      print(cmd, k, describe(k))
    })
}
