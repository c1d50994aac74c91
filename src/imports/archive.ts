import type { Readable } from 'node:stream'
import { httpErrors } from '@fastify/sensible'
import yauzl, { type Entry, type ZipFile } from 'yauzl'

/**
 * A Strava account export opened for random access: yauzl reads the zip's central directory
 * first, so activities.csv can be read before the activity files it names, each opened by
 * name without reading the archive in order or unpacking it to disk.
 */
export interface ExportArchive {
  csv: () => Promise<Readable>
  /** The stream of an activity file the CSV names, or undefined when the archive lacks it. */
  file: (name: string) => Promise<Readable | undefined>
  close: () => void
}

async function entriesOf (zip: ZipFile): Promise<Map<string, Entry>> {
  const entries = new Map<string, Entry>()
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: Entry) => {
      if (!entry.fileName.endsWith('/')) entries.set(entry.fileName, entry)
      zip.readEntry()
    })
    zip.on('end', () => resolve())
    zip.on('error', reject)
    zip.readEntry()
  })
  return entries
}

const malformed = (err: unknown) => httpErrors.badRequest(`the upload is not a readable zip archive (${(err as Error).message})`)

export async function openExportArchive (path: string): Promise<ExportArchive> {
  let zip: ZipFile
  let entries: Map<string, Entry>
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false })
    entries = await entriesOf(zip)
  } catch (err) {
    throw malformed(err)
  }
  // The export keeps activities.csv at its top level; an archive re-zipped from a folder has it one level down.
  const csvEntry = [...entries.values()]
    .filter(entry => /(^|\/)activities\.csv$/i.test(entry.fileName))
    .sort((a, b) => a.fileName.length - b.fileName.length)[0]
  if (!csvEntry) {
    zip.close()
    throw httpErrors.badRequest('the archive has no activities.csv: upload the zip file of Strava\'s account export')
  }
  const base = csvEntry.fileName.slice(0, csvEntry.fileName.length - 'activities.csv'.length)
  const open = async (entry: Entry) => {
    try {
      return await zip.openReadStreamPromise(entry)
    } catch (err) {
      throw malformed(err)
    }
  }
  return {
    csv: () => open(csvEntry),
    file: async name => {
      const entry = entries.get(base + name.replace(/^\.?\//, ''))
      return entry && await open(entry)
    },
    close: () => zip.close()
  }
}
