;; SipHash-2-4 of every context window of a token-id array, in one call.
;;
;; The same function as siphash.ts `siphashWords` (each id is 4 little-endian
;; bytes; a window of h ids is a 4h-byte message), but with native 64-bit lanes:
;; JavaScript has no fast 64-bit integers, so the JS version spends most of its
;; time emulating them on int32 pairs. One call per document, not per token,
;; keeps the JS-to-WebAssembly crossing out of the per-token path.
;;
;; Source of window-hash.wasm.ts (generated: `pnpm -F @tracemark/watermark build:wasm`;
;; a test recompiles this file and compares).
(module
  (memory (export "memory") 1)

  ;; hash(k0lo, k0hi, k1lo, k1hi, src, count, h, dst)
  ;; For j in [0, count): SipHash-2-4 of the 4h bytes at src + 4j, under the
  ;; key (k0, k1), stored as a little-endian u64 at dst + 8j.
  (func (export "hash")
    (param $k0l i32) (param $k0h i32) (param $k1l i32) (param $k1h i32)
    (param $src i32) (param $count i32) (param $h i32) (param $dst i32)
    (local $k0 i64) (local $k1 i64)
    (local $v0 i64) (local $v1 i64) (local $v2 i64) (local $v3 i64)
    (local $m i64) (local $last i64) (local $lenByte i64)
    (local $j i32) (local $p i32) (local $b i32) (local $blocks i32) (local $n i32)
    (local.set $k0 (i64.or (i64.extend_i32_u (local.get $k0l))
                           (i64.shl (i64.extend_i32_u (local.get $k0h)) (i64.const 32))))
    (local.set $k1 (i64.or (i64.extend_i32_u (local.get $k1l))
                           (i64.shl (i64.extend_i32_u (local.get $k1h)) (i64.const 32))))
    (local.set $blocks (i32.shr_u (local.get $h) (i32.const 1)))
    ;; The final block's top byte is the message length mod 256.
    (local.set $lenByte (i64.shl (i64.extend_i32_u (i32.and (i32.shl (local.get $h) (i32.const 2)) (i32.const 0xff)))
                                 (i64.const 56)))
    (block $done
      (br_if $done (i32.le_s (local.get $count) (i32.const 0)))
      (loop $window
        (local.set $p (i32.add (local.get $src) (i32.shl (local.get $j) (i32.const 2))))
        ;; "somepseudorandomlygeneratedbytes"
        (local.set $v0 (i64.xor (local.get $k0) (i64.const 0x736f6d6570736575)))
        (local.set $v1 (i64.xor (local.get $k1) (i64.const 0x646f72616e646f6d)))
        (local.set $v2 (i64.xor (local.get $k0) (i64.const 0x6c7967656e657261)))
        (local.set $v3 (i64.xor (local.get $k1) (i64.const 0x7465646279746573)))
        ;; An odd h leaves one id for the final block's low half.
        (local.set $last (local.get $lenByte))
        (if (i32.and (local.get $h) (i32.const 1))
          (then (local.set $last (i64.or (local.get $lenByte)
            (i64.load32_u (i32.add (local.get $p) (i32.shl (local.get $blocks) (i32.const 3))))))))
        ;; Blocks 0..blocks-1 are message words, block `blocks` the final block,
        ;; block `blocks + 1` the finalization (v2 ^= 0xff, 4 rounds): the round
        ;; body is written once, as in siphash.ts.
        (local.set $b (i32.const 0))
        (loop $block
          (if (i32.lt_u (local.get $b) (local.get $blocks))
            (then
              (local.set $m (i64.load (i32.add (local.get $p) (i32.shl (local.get $b) (i32.const 3)))))
              (local.set $n (i32.const 2)))
            (else
              (if (i32.eq (local.get $b) (local.get $blocks))
                (then
                  (local.set $m (local.get $last))
                  (local.set $n (i32.const 2)))
                (else
                  (local.set $m (i64.const 0))
                  (local.set $v2 (i64.xor (local.get $v2) (i64.const 0xff)))
                  (local.set $n (i32.const 4))))))
          (local.set $v3 (i64.xor (local.get $v3) (local.get $m)))
          (loop $round
            ;; v0 += v1; v1 = rotl(v1, 13) ^ v0; v0 = rotl(v0, 32)
            (local.set $v0 (i64.add (local.get $v0) (local.get $v1)))
            (local.set $v1 (i64.xor (i64.rotl (local.get $v1) (i64.const 13)) (local.get $v0)))
            (local.set $v0 (i64.rotl (local.get $v0) (i64.const 32)))
            ;; v2 += v3; v3 = rotl(v3, 16) ^ v2
            (local.set $v2 (i64.add (local.get $v2) (local.get $v3)))
            (local.set $v3 (i64.xor (i64.rotl (local.get $v3) (i64.const 16)) (local.get $v2)))
            ;; v0 += v3; v3 = rotl(v3, 21) ^ v0
            (local.set $v0 (i64.add (local.get $v0) (local.get $v3)))
            (local.set $v3 (i64.xor (i64.rotl (local.get $v3) (i64.const 21)) (local.get $v0)))
            ;; v2 += v1; v1 = rotl(v1, 17) ^ v2; v2 = rotl(v2, 32)
            (local.set $v2 (i64.add (local.get $v2) (local.get $v1)))
            (local.set $v1 (i64.xor (i64.rotl (local.get $v1) (i64.const 17)) (local.get $v2)))
            (local.set $v2 (i64.rotl (local.get $v2) (i64.const 32)))
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br_if $round (local.get $n)))
          (local.set $v0 (i64.xor (local.get $v0) (local.get $m)))
          (local.set $b (i32.add (local.get $b) (i32.const 1)))
          (br_if $block (i32.le_u (local.get $b) (i32.add (local.get $blocks) (i32.const 1)))))
        (i64.store (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 3)))
          (i64.xor (i64.xor (local.get $v0) (local.get $v1)) (i64.xor (local.get $v2) (local.get $v3))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $window (i32.lt_s (local.get $j) (local.get $count))))))
)
