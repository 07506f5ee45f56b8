// invciv utenza and invciv amministratore: the online application's people. Utenze of a convenzione are enabled by
// codice fiscale within its max utenze and disabled at once; each ente's amministratori utenze are named here.
import { Command, Option } from 'commander'
import { disableUtenza, enableUtenza, listUtenze } from '../../registry/utenze.ts'
import { listAmministratori, nameAmministratore, revokeAmministratore } from '../../registry/amministratori.ts'
import { print, positiveInt, withDatabase } from '../output.ts'
import { cliActor } from '../context.ts'

const convenzioneOption = () =>
  new Option('--convenzione <ID>', 'convenzione id').argParser(positiveInt('--convenzione')).makeOptionMandatory()

export function utenzaCommands(program: Command): void {
  const utenza = program.command('utenza').description('online utenze of a convenzione (the online application)')
  utenza
    .command('list')
    .description('utenze with their validity and last access')
    .addOption(convenzioneOption())
    .action(async (o: { convenzione: number }, cmd: Command) => {
      const rows = await withDatabase((db) => listUtenze(db.pool, o.convenzione))
      print(
        cmd,
        rows,
        rows
          .map(
            (u) =>
              `${u.codiceFiscale}\t${u.nome}\t${u.abilitata ? 'abilitata' : 'disabilitata'}\t${u.validaDal}..${u.validaAl}\t${u.ultimoAccessoIl?.toISOString() ?? 'mai'}`,
          )
          .join('\n') || '(none)',
      )
    })
  utenza
    .command('enable')
    .description("enable a person for the online application, within the convenzione's max utenze")
    .addOption(convenzioneOption())
    .requiredOption('--cf <CODICE_FISCALE>', "the person's codice fiscale")
    .requiredOption('--nome <NAME>', 'name and surname')
    .option('--dal <DATE>', 'first valid day YYYY-MM-DD (default: today)')
    .option('--al <DATE>', 'last valid day YYYY-MM-DD (default: none)')
    .action(async (o: { convenzione: number; cf: string; nome: string; dal?: string; al?: string }, cmd: Command) => {
      const done = await withDatabase((db) =>
        enableUtenza(db.pool, cliActor(), {
          convenzioneId: o.convenzione,
          codiceFiscale: o.cf,
          nome: o.nome,
          validaDal: o.dal,
          validaAl: o.al,
        }),
      )
      print(cmd, done, `utenza ${done.codiceFiscale} enabled for convenzione ${done.convenzioneId}`)
    })
  utenza
    .command('disable')
    .description('disable a utenza at once: its sessions end')
    .addOption(convenzioneOption())
    .requiredOption('--cf <CODICE_FISCALE>', "the person's codice fiscale")
    .action(async (o: { convenzione: number; cf: string }, cmd: Command) => {
      const done = await withDatabase((db) => disableUtenza(db.pool, cliActor(), o.convenzione, o.cf))
      print(cmd, done, `utenza ${done.codiceFiscale} disabled for convenzione ${done.convenzioneId}`)
    })
}

export function amministratoreCommands(program: Command): void {
  const amministratore = program.command('amministratore').description("the enti's amministratori utenze (named by INPS operations)")
  amministratore
    .command('list')
    .description('amministratori, with whether their TOTP is enrolled')
    .option('--ente <IPA>', 'only those of this ente')
    .action(async (o: { ente?: string }, cmd: Command) => {
      const rows = await withDatabase((db) => listAmministratori(db.pool, o.ente))
      print(
        cmd,
        rows,
        rows
          .map(
            (a) =>
              `${a.enteCodice}\t${a.codiceFiscale}\t${a.nome}\t${a.revocatoIl ? 'revocato' : a.totpAttivo ? 'TOTP attivo' : 'TOTP da registrare'}`,
          )
          .join('\n') || '(none)',
      )
    })
  amministratore
    .command('add')
    .description("name an ente's amministratore utenze")
    .requiredOption('--ente <IPA>', 'IPA code of the ente')
    .requiredOption('--cf <CODICE_FISCALE>', "the person's codice fiscale")
    .requiredOption('--nome <NAME>', 'name and surname')
    .action(async (o: { ente: string; cf: string; nome: string }, cmd: Command) => {
      const done = await withDatabase((db) =>
        nameAmministratore(db.pool, cliActor(), { enteCodice: o.ente, codiceFiscale: o.cf, nome: o.nome }),
      )
      print(cmd, done, `${done.codiceFiscale} is an amministratore utenze of ${done.enteCodice}`)
    })
  amministratore
    .command('revoke')
    .description('revoke an amministratore at once (the TOTP secret is forgotten)')
    .requiredOption('--ente <IPA>', 'IPA code of the ente')
    .requiredOption('--cf <CODICE_FISCALE>', "the person's codice fiscale")
    .action(async (o: { ente: string; cf: string }, cmd: Command) => {
      const done = await withDatabase((db) => revokeAmministratore(db.pool, cliActor(), o.ente, o.cf))
      print(cmd, done, `${done.codiceFiscale} is no longer an amministratore utenze of ${done.enteCodice}`)
    })
}
