import type { Command } from 'commander'
import { integerOption } from './options.js'
import { readKeyFile } from './keyfile.js'
import { readTextInput } from './input.js'
import { parseCommitment } from '../evidence/commitment.js'
import { signBundle, signingKeygen } from '../evidence/sign.js'
import { verifyBundle, type VerifyReport } from '../evidence/verify.js'
import type { Io } from './program.js'

const collect = (v: string, prev: string[]) => [...prev, v]

/** The report of `tracemark verify`, one line per check. */
export function formatVerify(r: VerifyReport, dir: string): string {
  const lines = r.checks.map((c) => (c.identical ? `  identical  ${c.what}` : `  DIFFERENT  ${c.what}: ${c.detail}`))
  const head = r.identical
    ? `VERIFIED: every figure of the ${r.command} evidence in ${dir} recomputes identically (${r.checks.length} checks)`
    : `NOT VERIFIED: ${r.checks.filter((c) => !c.identical).length} of ${r.checks.length} checks differ; first difference: ${r.firstDifference}`
  return [head, ...lines].join('\n')
}

/**
 * `verify`, `sign` and `signing-key`: the third party's side of an evidence bundle
 * and the provider's optional signature. `setStatus` receives the exit status.
 */
export function addEvidenceCommands(program: Command, io: Io, setStatus: (s: number) => void): void {
  program
    .command('verify')
    .description('recompute every figure of an evidence bundle from its inputs and the key (exit 0 all identical, 1 a difference, 2 a malformed bundle)')
    .argument('<dir>', 'evidence bundle directory (written by detect/scan/probe --evidence)')
    .requiredOption('--key <file>', 'key file; repeat for a scan with several keys', collect, [])
    .option('--commitment <file>', 'published key commitment (from keygen) the key must match; repeatable', collect, [])
    .option('--signer <hex>', 'Ed25519 public key the bundle must be signed with')
    .option('--workers <n>', 'worker threads to re-scan a corpus (1 to 1024)', integerOption('--workers', 1, 1024), 1)
    .option('--json', 'print one JSON object')
    .action(async (dir: string, o) => {
      const keys = (o.key as string[]).map((path) => readKeyFile(path, { warn: (m) => io.err(`tracemark: warning: ${m}\n`) }))
      const commitments = (o.commitment as string[]).map((file) => ({ file, commitment: parseCommitment(readTextInput(file), file) }))
      const r = await verifyBundle(dir, keys, { commitments, signer: o.signer, workers: o.workers })
      io.out(o.json ? `${JSON.stringify(r)}\n` : `${formatVerify(r, dir)}\n`)
      setStatus(r.identical ? 0 : 1)
    })

  program
    .command('signing-key')
    .description('make an Ed25519 signing key file (mode 0600) for evidence bundles and print its public key')
    .requiredOption('--out <file>', 'where to write the signing key')
    .option('--force', 'overwrite an existing file')
    .action((o) => {
      io.out(`${signingKeygen(o.out, !!o.force)}\n`)
      setStatus(0)
    })

  program
    .command('sign')
    .description('sign an evidence bundle (Ed25519 over its evidence.json, which names every input by SHA-256)')
    .argument('<dir>', 'evidence bundle directory')
    .requiredOption('--signing-key <file>', 'signing key file (from tracemark signing-key)')
    .action((dir: string, o) => {
      io.out(`signed ${dir} as ${signBundle(dir, o.signingKey)}\n`)
      setStatus(0)
    })
}
