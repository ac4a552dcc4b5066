/**
 * Inputs in S3 or S3-compatible object storage (`s3://bucket/key` or
 * `s3://bucket/prefix/`): listing, whole and ranged reads, and random access
 * for Parquet. Scan workers read their own byte ranges and row groups from the
 * store, as they do from a shared file system, so shard jobs carry URLs.
 *
 * The client is the AWS SDK's, with its default credential chain (environment,
 * shared credentials file and profile, SSO, container and instance roles). The
 * endpoint comes from `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL` (MinIO, Ceph,
 * R2, a local test server), addressed path-style; the region from `AWS_REGION`
 * or `AWS_DEFAULT_REGION` (else us-east-1), with S3's region redirects
 * followed, so a bucket elsewhere still works.
 */
import type { S3Client } from '@aws-sdk/client-s3'
import type { AsyncBuffer } from 'hyparquet'
import { rangeBuffer } from './range-buffer.js'

/** The URL scheme of object-storage inputs. */
const SCHEME = 's3://'

/** Whether an input path names object storage. */
export const isS3 = (path: string): boolean => path.startsWith(SCHEME)

/** Bucket and key of an `s3://` URL. @throws Error naming the URL when it has no bucket. */
export function parseS3(url: string): { bucket: string; key: string } {
  const rest = url.slice(SCHEME.length)
  const slash = rest.indexOf('/')
  const bucket = slash < 0 ? rest : rest.slice(0, slash)
  if (bucket === '') throw new Error(`${url}: no bucket (expected s3://bucket/key or s3://bucket/prefix/)`)
  return { bucket, key: slash < 0 ? '' : rest.slice(slash + 1) }
}

type Sdk = typeof import('@aws-sdk/client-s3')

/**
 * How long a connection to the store may sit idle (connecting, waiting for a
 * response, or mid-body) before the read fails, in ms: the SDK waits forever by
 * default, so a store that stalls would hang the scan. `TRACEMARK_S3_IDLE_TIMEOUT_MS`
 * overrides it.
 */
const IDLE_TIMEOUT_MS = 60_000

const stores = new Map<string, Promise<{ sdk: Sdk; client: S3Client }>>()

/**
 * The SDK and one client per thread and endpoint, made on first use: scans
 * without S3 inputs never load the SDK.
 */
function store(): Promise<{ sdk: Sdk; client: S3Client }> {
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 || process.env.AWS_ENDPOINT_URL || ''
  let made = stores.get(endpoint)
  if (!made) {
    made = (async () => {
      // The SDK warns once per thread that its releases after January 2027 need Node 22; tracemark pins
      // a release that runs on Node 20, and the warning would interleave with the scan's own output.
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'
      const sdk = await import('@aws-sdk/client-s3')
      const asked = Number(process.env.TRACEMARK_S3_IDLE_TIMEOUT_MS)
      const idle = asked > 0 ? asked : IDLE_TIMEOUT_MS
      const client = new sdk.S3Client({
        region: process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1',
        followRegionRedirects: true,
        requestHandler: { connectionTimeout: idle, socketTimeout: idle },
        // Self-hosted stores rarely have a DNS name per bucket.
        ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
      })
      return { sdk, client }
    })()
    stores.set(endpoint, made)
  }
  return made
}

/** An object found by {@link listS3}. */
export interface S3Object {
  url: string
  size: number
  /** The store's version tag of the content (what a resume state compares). */
  etag: string
}

/** An object's size and ETag as the scan's listing gave them, carried to its readers. */
export type ListedObject = Pick<S3Object, 'size' | 'etag'>

const byKey = (a: S3Object, b: S3Object) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0)

/**
 * The objects an input URL names: the object itself if the key exists, else
 * every object under it as a prefix (`key/` unless the key already ends in a
 * slash), recursively, in path order, leaving out hidden entries (a path
 * segment starting with a dot) and folder markers, as a directory is read.
 * @throws the store's error (no such bucket, access denied) or an Error when nothing is there.
 */
export async function listS3(url: string): Promise<S3Object[]> {
  const { bucket, key } = parseS3(url)
  if (key !== '' && !key.endsWith('/')) {
    try {
      return [await headS3(url)]
    } catch (e) {
      if (status(e) !== 404) throw e
    }
  }
  const prefix = key === '' || key.endsWith('/') ? key : `${key}/`
  const { sdk, client } = await store()
  const objects: S3Object[] = []
  let token: string | undefined
  do {
    const page = await client.send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }))
    for (const o of page.Contents ?? []) {
      const k = o.Key ?? ''
      const rest = k.slice(prefix.length)
      if (rest === '' || rest.endsWith('/') || rest.split('/').some((s) => s.startsWith('.'))) continue
      objects.push({ url: `${SCHEME}${bucket}/${k}`, size: Number(o.Size ?? 0), etag: o.ETag ?? '' })
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined
  } while (token)
  if (objects.length === 0) throw new Error(key === '' ? 'empty bucket' : 'no such object or prefix')
  return objects.sort(byKey)
}

/** How a scan lists an `s3://` input (see {@link listS3}). */
export type S3Lister = (url: string) => Promise<S3Object[]>

/**
 * A lister that asks the store once per URL, failures included: one scan's
 * progress total, resume fingerprint, common-tuple sample, plan and evidence
 * then see the same objects, and a prefix of a million objects costs its
 * thousand list requests once, not at each step. Made per scan, never shared
 * process-wide, so a later scan sees the bucket as it is then.
 */
export function listOnce(list: S3Lister = listS3): S3Lister {
  const seen = new Map<string, Promise<S3Object[]>>()
  return (url) => {
    let p = seen.get(url)
    if (!p) seen.set(url, (p = list(url)))
    return p
  }
}

/** The HTTP status of a store error, if it has one. */
export const status = (e: unknown): number | undefined => (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode

/**
 * The bytes of an object, or of its bytes [start, end): streamed, and
 * breaking out of the iteration aborts the transfer.
 */
export async function* s3Bytes(url: string, start?: number, end?: number): AsyncGenerator<Uint8Array> {
  if (start !== undefined && end !== undefined && end <= start) return
  const { bucket, key } = parseS3(url)
  const { sdk, client } = await store()
  const range = start === undefined ? undefined : `bytes=${start}-${end === undefined ? '' : end - 1}`
  const r = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key, Range: range }))
  // In Node the body is an http.IncomingMessage: async-iterable, destroyed when the loop is left.
  const body = r.Body as AsyncIterable<Uint8Array>
  if (start === undefined) {
    yield* body
    return
  }
  // A store that ignores the range (200 and the whole object) or sends other bytes would
  // hand this block another block's documents: check what came back.
  const from = r.ContentRange?.match(/^bytes (\d+)-/)?.[1]
  if (Number(from) !== start) throw new Error(`asked for bytes from ${start}, the store sent ${r.ContentRange ? `"${r.ContentRange}"` : 'no range'}`)
  let left = end === undefined ? Infinity : end - start
  for await (const chunk of body) {
    if (chunk.length > left) throw new Error(`the store sent more than the ${end! - start} bytes asked from byte ${start}`)
    left -= chunk.length
    yield chunk
  }
  if (end !== undefined && left > 0) throw new Error(`the object ended ${left} bytes before byte ${end} (did it change during the scan?)`)
}

/** Random access to an object for hyparquet: one ranged GET per slice it asks for. */
export async function s3Buffer(url: string, knownSize?: number): Promise<AsyncBuffer> {
  const size = knownSize ?? (await headS3(url)).size
  return rangeBuffer(size, async (into, start) => {
    let done = 0
    // s3Bytes checks the range and its length.
    for await (const chunk of s3Bytes(url, start, start + into.length)) {
      into.set(chunk, done)
      done += chunk.length
    }
  })
}

/** The one object a URL names (never a prefix). */
export async function headS3(url: string): Promise<S3Object> {
  const { bucket, key } = parseS3(url)
  const { sdk, client } = await store()
  const h = await client.send(new sdk.HeadObjectCommand({ Bucket: bucket, Key: key }))
  return { url, size: Number(h.ContentLength ?? 0), etag: h.ETag ?? '' }
}
