/** The ACWR models an athlete can choose; statement.ts builds each one's window statement. */
export const ACWR_MODELS = ['rolling', 'rolling-uncoupled', 'ewma', 'decay'] as const
export type AcwrModel = typeof ACWR_MODELS[number]
