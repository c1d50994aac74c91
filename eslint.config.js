import neostandard from 'neostandard'
import importX, { createNodeResolver } from 'eslint-plugin-import-x'

// Feature folders from the bottom up: a folder may import the ones before it, never one after
// it, so the features cannot import one another in a circle. src/db and src/schemas sit below
// them all. A new feature that others build on gets its place here.
const layers = ['src/db', 'src/schemas', 'src/acwr', 'src/pmc', 'src/activities', 'src/athletes', 'src/tokens']
const layerZones = layers.slice(0, -1).map((target, index) => ({
  target: `./${target}`,
  from: layers.slice(index + 1).map(above => `./${above}`),
  message: `${target} sits below these folders (see the layers in eslint.config.js and docs/architecture.md).`
}))

export default [
  ...neostandard({
    ts: true,
    ignores: ['node_modules', '.data', '.tap', 'coverage', 'src/db/types.ts', 'public/vendor']
  }),
  {
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js'] })] },
    rules: {
      // Chosen over a separate tool (dpdm) because `npm run lint` already runs wherever code
      // is checked: in the editor, in the landing checks and in CI.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', { zones: layerZones }]
    }
  }
]
