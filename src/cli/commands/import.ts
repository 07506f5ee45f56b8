// invciv import verbali: the daily feed, in one transaction.
import { Command } from 'commander'
import { importVerbaliFile } from '../../verification/verbali-import.ts'
import { createReadStream, createWriteStream } from 'node:fs'
import { unlink } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import path from 'node:path'
import { print, withDatabase, wantsJson } from '../output.ts'
import { recordChange } from '../../audit/change-log.ts'
import { cliActor } from '../context.ts'

/** The feed's SHA-256, so the change log says which file was loaded, not only its name. */
async function sha256Of(file: string): Promise<string | null> {
  const hash = createHash('sha256')
  try {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
    return hash.digest('hex')
  } catch {
    return null // importVerbaliFile says why the file cannot be read
  }
}

export function importCommands(program: Command): void {
  program
    .command('import')
    .description('load data files')
    .command('verbali')
    .argument('<file>', 'a .csv (with header) or .jsonl file of verbali; optional column annullato (S/N)')
    .option('--scarti <FILE>', 'where rejected lines go (line number and reason)', '')
    .description('load the verbali feed in one transaction: inserts, corrections, annulments; rejected lines to a rejects file')
    .action(async (file: string, o: { scarti: string }, cmd: Command) => {
      const rejectsFile = o.scarti || `${file}.scarti.csv`
      const rejects = createWriteStream(rejectsFile)
      rejects.write('riga,motivo\n')
      const tty = process.stderr.isTTY && !wantsJson(cmd)
      const sha256 = await sha256Of(file)
      const summary = await withDatabase((db) =>
        importVerbaliFile(db.pool, file, {
          onReject: (r) => rejects.write(`${r.line},"${r.reason.replace(/"/g, '""')}"\n`),
          // a progress line that rewrites itself, only when a person is watching
          onProgress: tty
            ? (lines, rejected, bytes) =>
                process.stderr.write(`\r${lines} righe lette, ${rejected} scartate, ${(bytes / 1048576).toFixed(1)} MB`)
            : undefined,
          beforeCommit: (tx, counts) =>
            recordChange(tx, cliActor(), { oggetto: 'verbali', azione: 'import', dopo: { file: path.basename(file), sha256, ...counts } }),
        }),
      ).finally(() => new Promise((r) => rejects.end(r)))
      if (tty) process.stderr.write('\n')
      if (summary.rejected === 0) await unlink(rejectsFile).catch(() => undefined)
      print(
        cmd,
        { ...summary, scarti: summary.rejected ? rejectsFile : null },
        `inserted ${summary.inserted}, updated ${summary.updated}, unchanged ${summary.unchanged}, rejected ${summary.rejected}` +
          (summary.rejected ? ` (see ${rejectsFile})` : ''),
      )
    })
}
