// Keeping a neighbour's timer out of the half-rate window (bench/tools/neighbours.ts): the window must not start where
// a predicted boot falls in it or just before it, must not be put off when none does, and the watcher must see a
// process that lives for a moment only, as RabbitMQ's epmd-starter VM does.
import t from 'tap'
import { spawn } from 'node:child_process'
import { clearStart, periodOf, watchBirths } from '../../bench/tools/neighbours.ts'

const P = 60_000
const G = 2_000
const SPAN = 23_000

t.test('a window with no predicted boot in it starts at once', async (t) => {
  t.equal(clearStart([], 5_000, SPAN, P, G), 5_000, 'nothing seen: nothing to avoid')
  t.equal(clearStart([0], 10_000, SPAN, P, G), 10_000, 'next boot at 60 s, after 10 + 23 + 2')
  t.equal(clearStart([0, 60_000], 62_500, SPAN, P, G), 62_500, 'just past one boot and its guard')
})

t.test('a window that a boot would fall in waits until it has passed', async (t) => {
  t.equal(clearStart([0], 40_000, SPAN, P, G), 62_000, 'boot at 60 s inside [40, 63): start 2 s after it')
  t.equal(clearStart([0], 59_000, SPAN, P, G), 62_000, 'boot a second ahead')
  t.equal(clearStart([0], 61_000, SPAN, P, G), 62_000, 'boot a second ago: its backlog would still drain')
  t.equal(clearStart([0], 36_000, SPAN, P, G), 62_000, 'boot within the guard after the end')
  t.equal(clearStart([0], 34_000, SPAN, P, G), 34_000, 'boot beyond the guard after the end')
  t.equal(clearStart([0], 170_000, SPAN, P, G), 182_000, 'boots missed since the last seen are predicted too')
  t.equal(clearStart([0], 1_000, SPAN, 40, G), 1_000, 'a timer quicker than the span: no start would do, none waited for')
})

t.test('the period is measured from the births, gaps of several periods included', async (t) => {
  t.equal(periodOf([], P), P, 'none seen: the assumed one')
  t.equal(periodOf([1_000], P), P)
  t.equal(periodOf([0, 60_200, 120_400], P), 60_200)
  t.equal(periodOf([0, 120_400, 180_600], P), 60_200, 'a missed birth between two seen')
})

t.test('a process that lives for a moment is seen being born', async (t) => {
  const watcher = watchBirths(/neighbours-test-marker-[0-9]+/, 5)
  t.teardown(() => watcher.stop())
  await watcher.watching
  const before = Date.now()
  // a process of a third of a second, seen among everything else born meanwhile (node, not a shell, which may
  // exec its last command and so change its command line)
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 300)', 'neighbours-test-marker-42'])
  await new Promise((resolve) => child.once('exit', resolve))
  await new Promise((resolve) => setTimeout(resolve, 50))
  // and a second process of the same boot, a moment later, is not a second boot
  const sibling = spawn(process.execPath, ['-e', '', 'neighbours-test-marker-43'])
  await new Promise((resolve) => sibling.once('exit', resolve))
  await new Promise((resolve) => setTimeout(resolve, 50))
  const births = watcher.births()
  t.equal(births.length, 1, 'born once')
  t.ok((births[0] ?? 0) >= before - 50 && (births[0] ?? 0) <= Date.now(), 'when it was born')
  const others = watchBirths(/no-such-process-anywhere/, 5)
  await others.watching
  await new Promise((resolve) => setTimeout(resolve, 50))
  others.stop()
  t.same(others.births(), [], 'nothing matched, nothing seen')
})
