// invciv spcoop: the gateway's own SPCoop identity, as this environment configures it (INVCIV_SPCOOP_*).
import type { Command } from 'commander'
import { loadConfig } from '../../config.ts'
import { print } from '../output.ts'

export function spcoopCommands(program: Command): void {
  program
    .command('spcoop')
    .description("the gateway's SPCoop soggetto, PdD code, servizio and azione: what partners' Porte di Dominio address")
    .action((_o, cmd: Command) => {
      const s = loadConfig().spcoop
      print(
        cmd,
        s,
        [
          `soggetto ${s.soggetto.tipo}/${s.soggetto.nome}, PdD ${s.pdd}`,
          `servizio ${s.servizio.tipo}/${s.servizio.nome}, azione ${s.azione}, profilo EGOV_IT_ServizioSincrono`,
          `OraRegistrazione within ${s.tolleranzaSecondi} s; an Identificatore remembered ${s.duplicatiOre} h`,
        ].join('\n'),
      )
    })
}
