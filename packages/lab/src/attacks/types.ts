/** What every attack returns. */
export interface AttackResult {
  /** The attacked text. */
  readonly text: string
  /** How many units were edited (words, letters, characters … as each attack defines). */
  readonly changed: number
}
