;; The two passes of Pillow's 8-bit resampler (../pillowPasses.ts's horizontalRowReference and
;; verticalRow) in WebAssembly SIMD, the same bytes. Each output byte is HALF plus the sum over the
;; taps of source byte times a 22-bit integer weight, shifted right by 22 and clipped to 0..255. The
;; JavaScript sums are exact integers in doubles and `>> 22` takes them modulo 2^32; i32x4 adds and
;; multiplies modulo 2^32, so the shifted values agree even past int32 (which Pillow's weights never
;; reach). The clip is the two saturating narrows, i32 to i16 and i16 to u8.
;;
;; Memory (the module's own, grown by the caller): the source rows, the taps and the output rows.
;; Pointers are byte offsets; `rowLen` is the bytes of one row.
;;
;; The horizontal pass sums all four bands of a pixel in one i32x4, as Pillow does, and stores all four
;; bytes: the caller leaves 4 spare bytes after the source and the output, and the bands past `c` are
;; overwritten by the next pixel, since pixels are written in order.
;;
;; Assembled by scripts/buildWasm.ts into pillowSimdWasm.ts; edit this file, then run
;; `npm run build:wasm` (a test fails while the two disagree).
(module
  (memory (export "memory") 1)

  ;; dst[i] = clip8(HALF + sum over t < taps of src[t * rowLen + i] * weights[t]) for i in [0, rowLen):
  ;; 16 bytes at a time, then one.
  (func (export "verticalRow")
    (param $src i32) (param $rowLen i32) (param $weights i32) (param $taps i32) (param $dst i32)
    (local $i i32)
    (block $sixteensDone
      (loop $sixteens
        (br_if $sixteensDone (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $rowLen)))
        (call $sixteen (i32.add (local.get $src) (local.get $i)) (local.get $rowLen)
          (local.get $weights) (local.get $taps) (i32.add (local.get $dst) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $sixteens)))
    (block $onesDone
      (loop $ones
        (br_if $onesDone (i32.ge_u (local.get $i) (local.get $rowLen)))
        (call $one (i32.add (local.get $src) (local.get $i)) (local.get $rowLen)
          (local.get $weights) (local.get $taps) (i32.add (local.get $dst) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $ones))))

  ;; Bytes [0, 16) of an output row: four i32x4 sums over the taps.
  (func $sixteen
    (param $p i32) (param $rowLen i32) (param $w i32) (param $taps i32) (param $out i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $wv v128) (local $v v128) (local $lo v128) (local $hi v128)
    (local.set $a0 (i32x4.splat (i32.const 0x200000)))
    (local.set $a1 (local.get $a0))
    (local.set $a2 (local.get $a0))
    (local.set $a3 (local.get $a0))
    (block $done
      (loop $eachTap
        (br_if $done (i32.eqz (local.get $taps)))
        (local.set $wv (i32x4.splat (i32.load (local.get $w))))
        (local.set $v (v128.load align=1 (local.get $p)))
        (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
        (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
        (local.set $a0 (i32x4.add (local.get $a0)
          (i32x4.mul (i32x4.extend_low_i16x8_u (local.get $lo)) (local.get $wv))))
        (local.set $a1 (i32x4.add (local.get $a1)
          (i32x4.mul (i32x4.extend_high_i16x8_u (local.get $lo)) (local.get $wv))))
        (local.set $a2 (i32x4.add (local.get $a2)
          (i32x4.mul (i32x4.extend_low_i16x8_u (local.get $hi)) (local.get $wv))))
        (local.set $a3 (i32x4.add (local.get $a3)
          (i32x4.mul (i32x4.extend_high_i16x8_u (local.get $hi)) (local.get $wv))))
        (local.set $p (i32.add (local.get $p) (local.get $rowLen)))
        (local.set $w (i32.add (local.get $w) (i32.const 4)))
        (local.set $taps (i32.sub (local.get $taps) (i32.const 1)))
        (br $eachTap)))
    (v128.store align=1 (local.get $out)
      (i8x16.narrow_i16x8_u
        (i16x8.narrow_i32x4_s
          (i32x4.shr_s (local.get $a0) (i32.const 22)) (i32x4.shr_s (local.get $a1) (i32.const 22)))
        (i16x8.narrow_i32x4_s
          (i32x4.shr_s (local.get $a2) (i32.const 22)) (i32x4.shr_s (local.get $a3) (i32.const 22))))))

  ;; Byte 0 of an output row, in scalar instructions.
  (func $one
    (param $p i32) (param $rowLen i32) (param $w i32) (param $taps i32) (param $out i32)
    (local $a i32)
    (local.set $a (i32.const 0x200000))
    (block $done
      (loop $eachTap
        (br_if $done (i32.eqz (local.get $taps)))
        (local.set $a (i32.add (local.get $a)
          (i32.mul (i32.load8_u (local.get $p)) (i32.load (local.get $w)))))
        (local.set $p (i32.add (local.get $p) (local.get $rowLen)))
        (local.set $w (i32.add (local.get $w) (i32.const 4)))
        (local.set $taps (i32.sub (local.get $taps) (i32.const 1)))
        (br $eachTap)))
    (local.set $a (i32.shr_s (local.get $a) (i32.const 22)))
    (i32.store8 (local.get $out)
      (select (i32.const 0)
        (select (i32.const 255) (local.get $a) (i32.gt_s (local.get $a) (i32.const 255)))
        (i32.lt_s (local.get $a) (i32.const 0)))))

  ;; Rows [0, rows) of the horizontal pass: output pixel x of row y is the sum over t < count[x] of
  ;; source pixel first[x] + t of row y times weights[x * ksize + t], every band at once. `first`,
  ;; `count` and `weights` are i32 arrays; a source row is `width * c` bytes, an output row `outW * c`.
  (func (export "horizontalRows")
    (param $src i32) (param $width i32) (param $c i32) (param $first i32) (param $count i32)
    (param $weights i32) (param $ksize i32) (param $outW i32) (param $rows i32) (param $dst i32)
    (local $y i32) (local $x i32) (local $row i32) (local $p i32) (local $w i32) (local $t i32)
    (local $a v128)
    (block $rowsDone
      (loop $eachRow
        (br_if $rowsDone (i32.ge_u (local.get $y) (local.get $rows)))
        (local.set $row (i32.add (local.get $src)
          (i32.mul (local.get $y) (i32.mul (local.get $width) (local.get $c)))))
        (local.set $x (i32.const 0))
        (block $pixelsDone
          (loop $eachPixel
            (br_if $pixelsDone (i32.ge_u (local.get $x) (local.get $outW)))
            (local.set $p (i32.add (local.get $row)
              (i32.mul (i32.load (i32.add (local.get $first) (i32.shl (local.get $x) (i32.const 2))))
                (local.get $c))))
            (local.set $w (i32.add (local.get $weights)
              (i32.shl (i32.mul (local.get $x) (local.get $ksize)) (i32.const 2))))
            (local.set $t (i32.load (i32.add (local.get $count) (i32.shl (local.get $x) (i32.const 2)))))
            (local.set $a (i32x4.splat (i32.const 0x200000)))
            (block $tapsDone
              (loop $eachTap
                (br_if $tapsDone (i32.eqz (local.get $t)))
                (local.set $a (i32x4.add (local.get $a)
                  (i32x4.mul
                    (i32x4.extend_low_i16x8_u
                      (i16x8.extend_low_i8x16_u (v128.load32_zero align=1 (local.get $p))))
                    (i32x4.splat (i32.load (local.get $w))))))
                (local.set $p (i32.add (local.get $p) (local.get $c)))
                (local.set $w (i32.add (local.get $w) (i32.const 4)))
                (local.set $t (i32.sub (local.get $t) (i32.const 1)))
                (br $eachTap)))
            (local.set $a (i32x4.shr_s (local.get $a) (i32.const 22)))
            (local.set $a (i16x8.narrow_i32x4_s (local.get $a) (local.get $a)))
            (v128.store32_lane align=1 0 (local.get $dst)
              (i8x16.narrow_i16x8_u (local.get $a) (local.get $a)))
            (local.set $dst (i32.add (local.get $dst) (local.get $c)))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $eachPixel)))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $eachRow))))

  ;; dst[i] = src[i] / 255 as float32, for i in [0, n): ComfyUI's way back from Pillow's bytes. One
  ;; float32 division; the JavaScript divides in doubles and rounds to float32, which gives the same
  ;; float for every byte (the test checks all 256), since b / 255 in binary is b's 8 bits repeated and
  ;; never lies next to a float32 tie.
  (func (export "bytesToUnit") (param $src i32) (param $n i32) (param $dst i32)
    (local $i i32) (local $v v128) (local $lo v128) (local $hi v128) (local $d v128)
    (local.set $d (f32x4.splat (f32.const 255)))
    (block $sixteensDone
      (loop $sixteens
        (br_if $sixteensDone (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $n)))
        (local.set $v (v128.load align=1 (i32.add (local.get $src) (local.get $i))))
        (local.set $lo (i16x8.extend_low_i8x16_u (local.get $v)))
        (local.set $hi (i16x8.extend_high_i8x16_u (local.get $v)))
        (v128.store offset=0 align=4 (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2)))
          (f32x4.div (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (local.get $lo))) (local.get $d)))
        (v128.store offset=16 align=4 (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2)))
          (f32x4.div (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (local.get $lo))) (local.get $d)))
        (v128.store offset=32 align=4 (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2)))
          (f32x4.div (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (local.get $hi))) (local.get $d)))
        (v128.store offset=48 align=4 (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2)))
          (f32x4.div (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (local.get $hi))) (local.get $d)))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $sixteens)))
    (block $onesDone
      (loop $ones
        (br_if $onesDone (i32.ge_u (local.get $i) (local.get $n)))
        (f32.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2)))
          (f32.div (f32.convert_i32_u (i32.load8_u (i32.add (local.get $src) (local.get $i))))
            (f32.const 255)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $ones))))

  ;; dst[i] = `np.clip(255. * src[i], 0, 255).astype(np.uint8)` for i in [0, n): the float32 product
  ;; (255 * x is exact in a double, so JavaScript's Math.fround of it is this one rounding), capped at
  ;; 255 and truncated; trunc_sat sends NaN and everything below 1 to 0, as the JavaScript does.
  (func (export "unitToBytes") (param $src i32) (param $n i32) (param $dst i32)
    (local $i i32) (local $m v128) (local $p i32)
    (local.set $m (f32x4.splat (f32.const 255)))
    (block $sixteensDone
      (loop $sixteens
        (br_if $sixteensDone (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $n)))
        (local.set $p (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))
        (v128.store align=1 (i32.add (local.get $dst) (local.get $i))
          (i8x16.narrow_i16x8_u
            (i16x8.narrow_i32x4_s
              (i32x4.trunc_sat_f32x4_u (f32x4.min (f32x4.mul (v128.load offset=0 align=4 (local.get $p))
                (local.get $m)) (local.get $m)))
              (i32x4.trunc_sat_f32x4_u (f32x4.min (f32x4.mul (v128.load offset=16 align=4 (local.get $p))
                (local.get $m)) (local.get $m))))
            (i16x8.narrow_i32x4_s
              (i32x4.trunc_sat_f32x4_u (f32x4.min (f32x4.mul (v128.load offset=32 align=4 (local.get $p))
                (local.get $m)) (local.get $m)))
              (i32x4.trunc_sat_f32x4_u (f32x4.min (f32x4.mul (v128.load offset=48 align=4 (local.get $p))
                (local.get $m)) (local.get $m))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $sixteens)))
    (block $onesDone
      (loop $ones
        (br_if $onesDone (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 (i32.add (local.get $dst) (local.get $i))
          (i32.trunc_sat_f32_u (f32.min (f32.mul (f32.load (i32.add (local.get $src)
            (i32.shl (local.get $i) (i32.const 2)))) (f32.const 255)) (f32.const 255))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $ones)))))
