/**
 * Texts that trip tokenizer ports: every Unicode plane, control characters, long
 * digit and whitespace runs, mixed scripts, and special-token strings (which must
 * stay ordinary text). Deterministic: the same list every run.
 */
export function stressTexts(): string[] {
  const out: string[] = []
  // Every plane 0-16: 64 code points from each, skipping surrogates.
  for (let plane = 0; plane <= 16; plane++) {
    let s = ''
    for (let i = 0; i < 64; i++) {
      const cp = plane * 0x10000 + ((i * 1031 + 0x20) % 0x10000)
      if (cp >= 0xd800 && cp <= 0xdfff) continue
      s += String.fromCodePoint(cp)
    }
    out.push(s)
  }
  let controls = ''
  for (let c = 0; c < 0x20; c++) controls += `a${String.fromCharCode(c)}`
  out.push(controls + '\x7f\x85\u200b\u200d\u2028\u2029\ufeff end')
  out.push('1234567890'.repeat(100), `${'9'.repeat(777)}.${'0'.repeat(333)}`, '3.14159 2,718 1e-6 0x1F 007')
  out.push(' '.repeat(500) + 'x', '\n'.repeat(200) + 'y', ' \t\n\r'.repeat(100), `a${'\u00a0'.repeat(50)}b${'\u3000'.repeat(50)}c`)
  out.push(
    'English, Français, Deutsch: Größe; Ελληνικά; Русский; العربية; עברית; हिन्दी; ไทย; 中文文本; 日本語のテキスト; 한국어',
    'emoji 👨‍👩‍👧 family, flags 🇫🇷🇯🇵, keycap 1️⃣, skin 👍🏽, zwj 🏳️‍🌈',
    'Ａｂｃ full-width, ligature ﬁ, combining é (e+\u0301) vs é, Å Å',
    "don't won't it's I'M YOU'LL we've they'd",
    'code: for (let i = 0; i < n; i++) { x[i] += y[i] * 2; } // comment\n\tif (a && b || !c) return;',
  )
  out.push(
    '<|begin_of_text|><|start_header_id|>user<|end_header_id|> hi <|eot_id|>',
    '<|im_start|>system\nYou are<|im_end|> <|endoftext|> <|fim_prefix|>',
    '<s> [INST] hello [/INST] </s> <unk> <pad> <bos> <eos> <start_of_turn>model',
    '<｜begin▁of▁sentence｜>User: x<｜Assistant｜>',
  )
  return out
}
