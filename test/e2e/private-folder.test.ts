// As root, from a clone inside a folder only root may enter (a clone under /root, any mktemp -d): PostgreSQL runs
// as the postgres user, who cannot reach that folder. `npm start` must still answer, the bin must work, and no
// folder of the user's may be opened up to make it so.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { projectRoot } from '../../src/project-root.ts'
import { discardEmbedded } from '../../src/db/embedded.ts'
import { npmStart, printedCall, sh } from '../helpers/npm-start.ts'

const asRoot = process.getuid?.() === 0

t.test(
  'npm start from a 0700 folder as root answers the printed call; invciv shares its server; modes stay as they were',
  {
    skip: asRoot ? false : 'this suite does not run as root: the private-folder case concerns root only',
  },
  async (t) => {
    const top = mkdtempSync(path.join(os.tmpdir(), 'invciv-private-'))
    t.equal(statSync(top).mode & 0o777, 0o700)
    const clone = path.join(top, 'clone')
    const dataDir = path.join(clone, '.invciv-data')
    t.teardown(async () => {
      await discardEmbedded(dataDir)
      execFileSync('rm', ['-rf', top])
    })
    // the files a clone has, and the dependencies `npm ci` installed there (hard links: same files, same modes)
    const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { cwd: projectRoot, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
    for (const file of files) {
      mkdirSync(path.dirname(path.join(clone, file)), { recursive: true })
      cpSync(path.join(projectRoot, file), path.join(clone, file))
    }
    execFileSync('cp', ['-al', path.join(projectRoot, 'node_modules'), path.join(clone, 'node_modules')])

    const started = await npmStart(t, clone)
    t.match(await sh(printedCall(started.output()), clone), '<v1:esito>VALIDO</v1:esito>')
    const enti = JSON.parse(
      execFileSync(path.join(clone, 'bin', 'invciv.js'), ['ente', 'list', '--json'], {
        cwd: clone,
        encoding: 'utf8',
        env: { PATH: process.env.PATH },
      }),
    )
    t.match(enti, [{ codiceIpa: 'ente_a_dev' }], 'bin/invciv.js reaches the same embedded server')
    t.equal(await started.stop(), 0)

    t.equal(statSync(top).mode & 0o777, 0o700, 'the private folder was not opened up')
    t.equal(
      statSync(dataDir).mode & 0o077,
      0o055 & statSync(path.dirname(dataDir)).mode,
      'nor the data folder (made as the clone folder is)',
    )
    const { cluster } = JSON.parse(readFileSync(path.join(dataDir, 'credentials.json'), 'utf8')) as { cluster: string }
    t.notOk(cluster.startsWith(top), `the cluster lives where the postgres user can reach it (${cluster})`)
    const owner = statSync(cluster).uid
    t.equal(owner, Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), 'owned by the user PostgreSQL runs as')
  },
)
