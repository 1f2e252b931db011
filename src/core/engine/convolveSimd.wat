;; The 2-D convolution of ../convolve.ts's convolve2dRows in WebAssembly SIMD, bit for bit.
;;
;; The JavaScript kernel computes every output as `a = Math.fround(a + w * s)` over the taps in
;; row-major order: w and s are float32 values held in doubles, so the product is exact, the sum is
;; rounded to a double, and Math.fround rounds that to float32. Each lane here does the same three
;; steps in the same order with the same roundings: f64x2.mul (exact), f64x2.add (rounded to double),
;; then f32x4.demote_f64x2_zero (rounded to float32) and back with f64x2.promote_low_f32x4 (exact), so
;; an accumulator always holds a float32 value. There is no fused multiply-add and no relaxed-simd
;; instruction: the roundings are the base SIMD set's, which the specification fixes (round to
;; nearest, ties to even, no flush of subnormals). Accumulators stay in registers over all k * k taps.
;;
;; Memory (the module's own, grown by the caller): the kernel as k * k doubles, the reflect-padded rows
;; as doubles, and the float32 output. Pointers are byte offsets; `stride` is the bytes from one padded
;; row to the next, `c` the channels (a tap's step along a row), `n` the outputs per row. Output `i` of
;; output row `y` reads padded rows y .. y + k - 1, elements i + kx * c.
;;
;; Assembled by scripts/buildWasm.ts into convolveSimdWasm.ts; edit this file, then run
;; `npm run build:wasm` (a test fails while the two disagree).
(module
  (memory (export "memory") 1)

  ;; Output rows [0, rows): 16 outputs at a time, then 2, then 1.
  (func (export "convolveRows")
    (param $src i32) (param $stride i32) (param $weights i32) (param $k i32) (param $c i32)
    (param $n i32) (param $rows i32) (param $dst i32)
    (local $y i32) (local $i i32) (local $row i32) (local $out i32)
    (block $rowsDone
      (loop $eachRow
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $rows)))
        (local.set $row (i32.add (local.get $src) (i32.mul (local.get $y) (local.get $stride))))
        (local.set $out
          (i32.add (local.get $dst) (i32.shl (i32.mul (local.get $y) (local.get $n)) (i32.const 2))))
        (local.set $i (i32.const 0))
        (block $sixteensDone
          (loop $sixteens
            (br_if $sixteensDone (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $n)))
            (call $sixteen
              (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 3))) (local.get $stride)
              (local.get $weights) (local.get $k) (local.get $c)
              (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))))
            (local.set $i (i32.add (local.get $i) (i32.const 16)))
            (br $sixteens)))
        (block $pairsDone
          (loop $pairs
            (br_if $pairsDone (i32.gt_u (i32.add (local.get $i) (i32.const 2)) (local.get $n)))
            (call $two
              (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 3))) (local.get $stride)
              (local.get $weights) (local.get $k) (local.get $c)
              (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))))
            (local.set $i (i32.add (local.get $i) (i32.const 2)))
            (br $pairs)))
        (if (i32.lt_u (local.get $i) (local.get $n))
          (then
            (call $one
              (i32.add (local.get $row) (i32.shl (local.get $i) (i32.const 3))) (local.get $stride)
              (local.get $weights) (local.get $k) (local.get $c)
              (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))))))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $eachRow))))

  ;; Outputs [0, 16) of one output row: eight f64x2 accumulators, enough independent chains to keep
  ;; the multiply-add-round sequence (about 15 cycles of latency) busy.
  (func $sixteen
    (param $p i32) (param $stride i32) (param $w i32) (param $k i32) (param $c i32) (param $out i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local $wv v128) (local $q i32) (local $step i32) (local $ky i32) (local $kx i32)
    (local.set $step (i32.shl (local.get $c) (i32.const 3)))
    (local.set $ky (local.get $k))
    (loop $kernelRows
      (local.set $q (local.get $p))
      (local.set $kx (local.get $k))
      (loop $taps
        (local.set $wv (f64x2.splat (f64.load (local.get $w))))
        (local.set $a0 (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.add (local.get $a0)
          (f64x2.mul (local.get $wv) (v128.load offset=0 align=8 (local.get $q)))))))
        (local.set $a1 (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.add (local.get $a1)
          (f64x2.mul (local.get $wv) (v128.load offset=16 align=8 (local.get $q)))))))
        (local.set $a2 (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.add (local.get $a2)
          (f64x2.mul (local.get $wv) (v128.load offset=32 align=8 (local.get $q)))))))
        (local.set $a3 (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.add (local.get $a3)
          (f64x2.mul (local.get $wv) (v128.load offset=48 align=8 (local.get $q)))))))
        (local.set $a4 (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.add (local.get $a4)
          (f64x2.mul (local.get $wv) (v128.load offset=64 align=8 (local.get $q)))))))
        (local.set $a5 (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.add (local.get $a5)
          (f64x2.mul (local.get $wv) (v128.load offset=80 align=8 (local.get $q)))))))
        (local.set $a6 (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.add (local.get $a6)
          (f64x2.mul (local.get $wv) (v128.load offset=96 align=8 (local.get $q)))))))
        (local.set $a7 (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.add (local.get $a7)
          (f64x2.mul (local.get $wv) (v128.load offset=112 align=8 (local.get $q)))))))
        (local.set $w (i32.add (local.get $w) (i32.const 8)))
        (local.set $q (i32.add (local.get $q) (local.get $step)))
        (local.set $kx (i32.sub (local.get $kx) (i32.const 1)))
        (br_if $taps (local.get $kx)))
      (local.set $p (i32.add (local.get $p) (local.get $stride)))
      (local.set $ky (i32.sub (local.get $ky) (i32.const 1)))
      (br_if $kernelRows (local.get $ky)))
    ;; Two accumulators' float32 lanes make one vector of four.
    (v128.store offset=0 align=4 (local.get $out)
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero (local.get $a0)) (f32x4.demote_f64x2_zero (local.get $a1))))
    (v128.store offset=16 align=4 (local.get $out)
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero (local.get $a2)) (f32x4.demote_f64x2_zero (local.get $a3))))
    (v128.store offset=32 align=4 (local.get $out)
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero (local.get $a4)) (f32x4.demote_f64x2_zero (local.get $a5))))
    (v128.store offset=48 align=4 (local.get $out)
      (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero (local.get $a6)) (f32x4.demote_f64x2_zero (local.get $a7)))))

  ;; Outputs [0, 2) of one output row, as $sixteen does each pair.
  (func $two
    (param $p i32) (param $stride i32) (param $w i32) (param $k i32) (param $c i32) (param $out i32)
    (local $a v128) (local $q i32) (local $step i32) (local $ky i32) (local $kx i32)
    (local.set $step (i32.shl (local.get $c) (i32.const 3)))
    (local.set $ky (local.get $k))
    (loop $kernelRows
      (local.set $q (local.get $p))
      (local.set $kx (local.get $k))
      (loop $taps
        (local.set $a (f64x2.promote_low_f32x4 (f32x4.demote_f64x2_zero (f64x2.add (local.get $a)
          (f64x2.mul (f64x2.splat (f64.load (local.get $w))) (v128.load align=8 (local.get $q)))))))
        (local.set $w (i32.add (local.get $w) (i32.const 8)))
        (local.set $q (i32.add (local.get $q) (local.get $step)))
        (local.set $kx (i32.sub (local.get $kx) (i32.const 1)))
        (br_if $taps (local.get $kx)))
      (local.set $p (i32.add (local.get $p) (local.get $stride)))
      (local.set $ky (i32.sub (local.get $ky) (i32.const 1)))
      (br_if $kernelRows (local.get $ky)))
    (v128.store64_lane align=4 0 (local.get $out) (f32x4.demote_f64x2_zero (local.get $a))))

  ;; Output 0 of one output row, in scalar instructions with the same roundings.
  (func $one
    (param $p i32) (param $stride i32) (param $w i32) (param $k i32) (param $c i32) (param $out i32)
    (local $a f64) (local $q i32) (local $step i32) (local $ky i32) (local $kx i32)
    (local.set $step (i32.shl (local.get $c) (i32.const 3)))
    (local.set $ky (local.get $k))
    (loop $kernelRows
      (local.set $q (local.get $p))
      (local.set $kx (local.get $k))
      (loop $taps
        (local.set $a (f64.promote_f32 (f32.demote_f64 (f64.add (local.get $a)
          (f64.mul (f64.load (local.get $w)) (f64.load (local.get $q)))))))
        (local.set $w (i32.add (local.get $w) (i32.const 8)))
        (local.set $q (i32.add (local.get $q) (local.get $step)))
        (local.set $kx (i32.sub (local.get $kx) (i32.const 1)))
        (br_if $taps (local.get $kx)))
      (local.set $p (i32.add (local.get $p) (local.get $stride)))
      (local.set $ky (i32.sub (local.get $ky) (i32.const 1)))
      (br_if $kernelRows (local.get $ky)))
    (f32.store (local.get $out) (f32.demote_f64 (local.get $a))))

  ;; dst[i] = weights[0] * table[0][i] + ... + weights[taps - 1] * table[taps - 1][i] for i in [0, n),
  ;; in doubles, starting from 0 and adding the taps in order; `table` holds each tap's source row (a
  ;; byte offset of doubles): 16 outputs at a time, then 2, then 1.
  (func (export "weightedSum")
    (param $dst i32) (param $table i32) (param $weights i32) (param $taps i32) (param $n i32)
    (local $i i32)
    (block $sixteensDone
      (loop $sixteens
        (br_if $sixteensDone (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $n)))
        (call $sumSixteen
          (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 3)))
          (local.get $table) (local.get $weights) (local.get $taps) (i32.shl (local.get $i) (i32.const 3)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $sixteens)))
    (block $pairsDone
      (loop $pairs
        (br_if $pairsDone (i32.gt_u (i32.add (local.get $i) (i32.const 2)) (local.get $n)))
        (call $sumTwo
          (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 3)))
          (local.get $table) (local.get $weights) (local.get $taps) (i32.shl (local.get $i) (i32.const 3)))
        (local.set $i (i32.add (local.get $i) (i32.const 2)))
        (br $pairs)))
    (if (i32.lt_u (local.get $i) (local.get $n))
      (then
        (call $sumOne
          (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 3)))
          (local.get $table) (local.get $weights) (local.get $taps) (i32.shl (local.get $i) (i32.const 3))))))

  ;; Outputs [0, 16) of a weighted sum, at byte `offset` into every source row.
  (func $sumSixteen
    (param $out i32) (param $table i32) (param $w i32) (param $taps i32) (param $offset i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local $wv v128) (local $p i32)
    (loop $taps
      (local.set $wv (f64x2.splat (f64.load (local.get $w))))
      (local.set $p (i32.add (i32.load (local.get $table)) (local.get $offset)))
        (local.set $a0 (f64x2.add (local.get $a0)
          (f64x2.mul (local.get $wv) (v128.load offset=0 align=8 (local.get $p)))))
        (local.set $a1 (f64x2.add (local.get $a1)
          (f64x2.mul (local.get $wv) (v128.load offset=16 align=8 (local.get $p)))))
        (local.set $a2 (f64x2.add (local.get $a2)
          (f64x2.mul (local.get $wv) (v128.load offset=32 align=8 (local.get $p)))))
        (local.set $a3 (f64x2.add (local.get $a3)
          (f64x2.mul (local.get $wv) (v128.load offset=48 align=8 (local.get $p)))))
        (local.set $a4 (f64x2.add (local.get $a4)
          (f64x2.mul (local.get $wv) (v128.load offset=64 align=8 (local.get $p)))))
        (local.set $a5 (f64x2.add (local.get $a5)
          (f64x2.mul (local.get $wv) (v128.load offset=80 align=8 (local.get $p)))))
        (local.set $a6 (f64x2.add (local.get $a6)
          (f64x2.mul (local.get $wv) (v128.load offset=96 align=8 (local.get $p)))))
        (local.set $a7 (f64x2.add (local.get $a7)
          (f64x2.mul (local.get $wv) (v128.load offset=112 align=8 (local.get $p)))))
      (local.set $w (i32.add (local.get $w) (i32.const 8)))
      (local.set $table (i32.add (local.get $table) (i32.const 4)))
      (local.set $taps (i32.sub (local.get $taps) (i32.const 1)))
      (br_if $taps (local.get $taps)))
    (v128.store offset=0 align=8 (local.get $out) (local.get $a0))
    (v128.store offset=16 align=8 (local.get $out) (local.get $a1))
    (v128.store offset=32 align=8 (local.get $out) (local.get $a2))
    (v128.store offset=48 align=8 (local.get $out) (local.get $a3))
    (v128.store offset=64 align=8 (local.get $out) (local.get $a4))
    (v128.store offset=80 align=8 (local.get $out) (local.get $a5))
    (v128.store offset=96 align=8 (local.get $out) (local.get $a6))
    (v128.store offset=112 align=8 (local.get $out) (local.get $a7)))

  ;; Outputs [0, 2) of a weighted sum, as $sumSixteen does each pair.
  (func $sumTwo
    (param $out i32) (param $table i32) (param $w i32) (param $taps i32) (param $offset i32)
    (local $a v128)
    (loop $taps
      (local.set $a (f64x2.add (local.get $a)
        (f64x2.mul (f64x2.splat (f64.load (local.get $w)))
          (v128.load align=8 (i32.add (i32.load (local.get $table)) (local.get $offset))))))
      (local.set $w (i32.add (local.get $w) (i32.const 8)))
      (local.set $table (i32.add (local.get $table) (i32.const 4)))
      (local.set $taps (i32.sub (local.get $taps) (i32.const 1)))
      (br_if $taps (local.get $taps)))
    (v128.store align=8 (local.get $out) (local.get $a)))

  ;; Output 0 of a weighted sum, in scalar instructions.
  (func $sumOne
    (param $out i32) (param $table i32) (param $w i32) (param $taps i32) (param $offset i32)
    (local $a f64)
    (loop $taps
      (local.set $a (f64.add (local.get $a)
        (f64.mul (f64.load (local.get $w))
          (f64.load (i32.add (i32.load (local.get $table)) (local.get $offset))))))
      (local.set $w (i32.add (local.get $w) (i32.const 8)))
      (local.set $table (i32.add (local.get $table) (i32.const 4)))
      (local.set $taps (i32.sub (local.get $taps) (i32.const 1)))
      (br_if $taps (local.get $taps)))
    (f64.store (local.get $out) (local.get $a))))
