/**
 * Which attacks the evaluation runs, at which strengths, and how one is applied to a
 * text. Text attacks come from the lab's attack library (`ATTACKS`); the emoji attack
 * acts during generation (generation.ts) and is only listed here.
 */
import { ATTACKS, type AttackName } from '../attacks/index.js'

export interface AttackCondition {
  /** Stable id: `delete@0.3`, `homoglyph@1:raw`. */
  readonly id: string
  readonly attack: AttackName
  readonly strength: number
  /** False for the diagnostic rows that detect WITHOUT normalization (showing what normalization repairs). */
  readonly normalize: boolean
  /** Runs during generation (emoji). */
  readonly generation: boolean
}

/** Two strengths per attack: a mild and a heavy one. */
export const ATTACK_STRENGTHS: Readonly<Record<AttackName, readonly [number, number]>> = {
  delete: [0.1, 0.3],
  insert: [0.1, 0.3],
  synonym: [0.1, 0.3],
  copyPaste: [0.5, 0.9],
  homoglyph: [0.3, 1],
  zeroWidth: [0.3, 1],
  whitespaceCase: [0.2, 0.5],
  truncate: [0.5, 0.75],
  emoji: [0.5, 1],
}

/** Names in tables. */
export const ATTACK_TITLES: Readonly<Record<AttackName, string>> = {
  delete: 'deletion',
  insert: 'insertion',
  synonym: 'substitution (synonyms)',
  copyPaste: 'copy-paste (human share)',
  homoglyph: 'homoglyph',
  zeroWidth: 'zero-width',
  whitespaceCase: 'whitespace/case',
  truncate: 'truncation',
  emoji: 'emoji (at generation)',
}

/** Attacks that normalization should undo: also measured with normalization off. */
const REPAIRED: readonly AttackName[] = ['homoglyph', 'zeroWidth']

export const ALL_ATTACKS = Object.keys(ATTACK_STRENGTHS) as AttackName[]

/** The attack × strength conditions for the selected attacks (all by default). */
export function attackConditions(names: readonly string[] = ALL_ATTACKS): AttackCondition[] {
  const unknown = names.filter((n) => !(n in ATTACK_STRENGTHS) || !(n in ATTACKS))
  if (unknown.length > 0) throw new Error(`unknown attack: ${unknown.join(', ')} (known: ${ALL_ATTACKS.join(', ')})`)
  const out: AttackCondition[] = []
  for (const name of ALL_ATTACKS) {
    if (!names.includes(name)) continue
    const generation = ATTACKS[name].needsGeneration === true
    for (const s of ATTACK_STRENGTHS[name]) out.push({ id: `${name}@${s}`, attack: name, strength: s, normalize: true, generation })
    if (REPAIRED.includes(name)) {
      const s = ATTACK_STRENGTHS[name][1]
      out.push({ id: `${name}@${s}:raw`, attack: name, strength: s, normalize: false, generation })
    }
  }
  return out
}

/** Table label of a condition. */
export function conditionTitle(c: AttackCondition | null): string {
  if (!c) return 'no attack'
  return `${ATTACK_TITLES[c.attack]} ${c.strength}${c.normalize ? '' : ' (normalization off)'}`
}

/** Applies a text attack; copy-paste gets the human text. */
export function applyAttack(c: AttackCondition, text: string, seed: number, humanText: string): string {
  const a = ATTACKS[c.attack]
  return a.apply(text, c.strength, seed, a.needsHumanText ? { humanText } : undefined).text
}
