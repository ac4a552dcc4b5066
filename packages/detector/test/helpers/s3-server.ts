/**
 * A local S3-compatible server (s3rver, from npm) for tests of `s3://`
 * inputs, and the environment that points the scanner's S3 client at it.
 * Offline: objects live in a temp dir.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CreateBucketCommand, DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
// @ts-expect-error s3rver ships no type declarations
import S3rver from 's3rver'

export interface TestS3 {
  /** `s3://bucket/` */
  root: string
  put(key: string, body: string | Uint8Array): Promise<void>
  remove(key: string): Promise<void>
  /** Every request the server received, as `METHOD /path?query`, in order. */
  requests: string[]
  stop(): Promise<void>
}

/**
 * Starts the server on a free loopback port with one bucket and sets
 * AWS_ENDPOINT_URL_S3 and test credentials in process.env (scan worker
 * threads started afterwards inherit them). The scanner's client reads them
 * on first use in a thread, so call this before any `s3://` read.
 */
export async function startS3(bucket = 'corpus-bucket'): Promise<TestS3> {
  const dir = mkdtempSync(join(tmpdir(), 'tm-s3-'))
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir })
  const { port } = (await server.run()) as { port: number }
  const endpoint = `http://127.0.0.1:${port}`
  const requests: string[] = []
  ;(server as { httpServer: import('node:http').Server }).httpServer.on('request', (req) => requests.push(`${req.method} ${req.url}`))
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  })
  const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } })
  await client.send(new CreateBucketCommand({ Bucket: bucket }))
  return {
    root: `s3://${bucket}/`,
    requests,
    put: async (key, body) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: typeof body === "string" ? body : Buffer.from(body), ContentLength: typeof body === "string" ? Buffer.byteLength(body) : body.length }))
    },
    remove: async (key) => {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
    },
    stop: async () => {
      client.destroy()
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
