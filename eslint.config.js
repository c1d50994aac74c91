import neostandard from 'neostandard'

export default neostandard({
  ts: true,
  ignores: ['node_modules', '.data', '.tap', 'coverage', 'src/db/types.ts', 'public/vendor']
})
