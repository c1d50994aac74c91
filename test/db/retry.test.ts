import t from 'tap'
import { CONFLICT_ATTEMPTS, retryConflicts } from '../../src/db/retry.ts'

const sqlError = (code: string) => Object.assign(new Error(`sqlstate ${code}`), { code })

t.test('a deadlock or serialization failure is retried until the transaction commits', async t => {
  for (const code of ['40P01', '40001']) {
    let calls = 0
    const result = await retryConflicts(async () => {
      if (++calls < 3) throw sqlError(code)
      return 'committed'
    })
    t.equal(result, 'committed', code)
    t.equal(calls, 3, `${code}: two failures, then the third try commits`)
  }
})

t.test('a conflict that outlives the attempts reaches the caller, after a bounded number of tries', async t => {
  let calls = 0
  const err = await retryConflicts(async () => { calls++; throw sqlError('40P01') }).catch((e: Error & { code?: string }) => e)
  t.equal(err.code, '40P01')
  t.equal(calls, CONFLICT_ATTEMPTS)
})

t.test('any other error is not retried', async t => {
  let calls = 0
  const err = await retryConflicts(async () => { calls++; throw sqlError('23505') }).catch((e: Error & { code?: string }) => e)
  t.equal(err.code, '23505')
  t.equal(calls, 1)
})
