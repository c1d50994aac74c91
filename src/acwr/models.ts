import type { Selectable } from 'kysely'
import type { Athletes } from '../db/types.ts'

/** The ACWR models an athlete can choose, as the athletes table's CHECK lists them. */
export type AcwrModel = Selectable<Athletes>['acwr_model']

/** Every model, for the schemas and the engine's loop; statement.ts builds each one's window statement. */
export const ACWR_MODELS = ['rolling', 'rolling-uncoupled', 'ewma', 'decay'] as const satisfies readonly AcwrModel[]
