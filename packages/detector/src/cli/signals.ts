/**
 * SIGINT/SIGTERM for a long command: the first one aborts `signal` (the command
 * stops its work and returns), and the command then exits 128 + the signal's
 * number, as a shell reports a killed process. A second signal exits at once, for
 * work that cannot stop sooner. `dispose` removes the handlers.
 */
export function interruptOnSignals() {
  const controller = new AbortController()
  let received: NodeJS.Signals | undefined
  const statusOf = (name: NodeJS.Signals) => (name === 'SIGINT' ? 130 : 143)
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((name) => {
    const h = () => {
      if (received !== undefined) process.exit(statusOf(name))
      received = name
      controller.abort()
    }
    process.on(name, h)
    return [name, h] as const
  })
  return {
    signal: controller.signal,
    /** The exit status for the signal received (130 SIGINT, 143 SIGTERM), or undefined. */
    exitStatus: () => (received === undefined ? undefined : statusOf(received)),
    received: () => received,
    /**
     * Whether a signal arrived, including one queued while synchronous work (scoring,
     * training) held the event loop: such a signal is handled only after a turn of it.
     */
    async interrupted(): Promise<boolean> {
      await new Promise((resolve) => setImmediate(resolve))
      return received !== undefined
    },
    dispose: () => {
      for (const [name, h] of handlers) process.removeListener(name, h)
    },
  }
}
