/**
 * SIGINT/SIGTERM for a long command: the first one aborts `signal` (the command
 * stops its work and returns), and the command then exits 128 + the signal's
 * number, as a shell reports a killed process. `dispose` removes the handlers.
 */
export function interruptOnSignals() {
  const controller = new AbortController()
  let received: NodeJS.Signals | undefined
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((name) => {
    const h = () => {
      received ??= name
      controller.abort()
    }
    process.once(name, h)
    return [name, h] as const
  })
  return {
    signal: controller.signal,
    /** The exit status for the signal received (130 SIGINT, 143 SIGTERM), or undefined. */
    exitStatus: () => (received === undefined ? undefined : received === 'SIGINT' ? 130 : 143),
    received: () => received,
    dispose: () => {
      for (const [name, h] of handlers) process.removeListener(name, h)
    },
  }
}
