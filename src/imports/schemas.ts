import { Type } from 'typebox'
import { Nullable } from '../schemas/common.ts'

export const IMPORT_CONTENT_TYPES = { 'application/zip': 'zip', 'application/x-zip-compressed': 'zip', 'text/csv': 'csv' } as const

export const ImportReply = Type.Object({
  imported: Type.Integer({ description: 'activities new to trainload' }),
  updated: Type.Integer({ description: 'activities that existed (synced, pushed or imported before) and changed' }),
  unchanged: Type.Integer({ description: 'activities that existed with the same values' }),
  skipped: Type.Array(Type.Object({
    row: Type.Integer({ description: 'the row of activities.csv, its header being row 1' }),
    activityId: Nullable(Type.Integer()),
    reason: Type.String()
  }))
})
