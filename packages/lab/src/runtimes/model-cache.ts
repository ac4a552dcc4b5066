import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Where the tiny test models are built (they are generated, never downloaded or
 * committed): `$TRACEMARK_MODEL_CACHE`, else a folder in the OS temp directory.
 */
export function modelCacheDir(): string {
  return process.env.TRACEMARK_MODEL_CACHE ?? join(tmpdir(), 'tracemark-tiny-models')
}
