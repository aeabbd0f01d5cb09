;; Inner products with wasm SIMD (128-bit), the fast path of core/vector-kernel.ts. Scores here are
;; float32 (four lanes, four accumulators: a different summation order than core/top-k.ts's `dot`),
;; so callers use them to pick candidates and rescore those with `dot` (see vector-kernel.ts for
;; the error bound that keeps the final ranking identical). int8 dots are exact integers.
;; Every row is a multiple of 64 bytes (f32: dim % 16 == 0) or 16 (int8: dim % 16 == 0).
;; Regenerate the embedded binary with `npx tsx test/support/build-dot-kernel.ts` after editing.
(module
  (import "env" "memory" (memory 1 65536))

  ;; out[i] = <q, row rows[i]> for i < m. q: f32[dim] at $q; rows: u32[m] at $rows; item rows are
  ;; f32[dim] at $base + row * dim * 4; out: f32[m]. Four rows per pass: rows scattered over a large
  ;; matrix are each a cache (and TLB) miss, and four independent load streams keep four misses in
  ;; flight where one row at a time waits for each. The tail goes through $dotRowsOne.
  (func $dotRows (export "dotRows") (param $q i32) (param $base i32) (param $rows i32) (param $m i32) (param $dim i32) (param $out i32)
    (local $i i32) (local $j i32) (local $stride i32) (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32) (local $r i32)
    (local $x v128) (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local.set $stride (i32.shl (local.get $dim) (i32.const 2)))
    (block $done
      (loop $quad
        (br_if $done (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $m)))
        (local.set $r (i32.add (local.get $rows) (i32.shl (local.get $i) (i32.const 2))))
        (local.set $p0 (i32.add (local.get $base) (i32.mul (i32.load (local.get $r)) (local.get $stride))))
        (local.set $p1 (i32.add (local.get $base) (i32.mul (i32.load offset=4 (local.get $r)) (local.get $stride))))
        (local.set $p2 (i32.add (local.get $base) (i32.mul (i32.load offset=8 (local.get $r)) (local.get $stride))))
        (local.set $p3 (i32.add (local.get $base) (i32.mul (i32.load offset=12 (local.get $r)) (local.get $stride))))
        (local.set $a (v128.const i32x4 0 0 0 0))
        (local.set $b (v128.const i32x4 0 0 0 0))
        (local.set $c (v128.const i32x4 0 0 0 0))
        (local.set $d (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (loop $col
          (local.set $x (v128.load (i32.add (local.get $q) (local.get $j))))
          (local.set $a (f32x4.add (local.get $a) (f32x4.mul (v128.load (i32.add (local.get $p0) (local.get $j))) (local.get $x))))
          (local.set $b (f32x4.add (local.get $b) (f32x4.mul (v128.load (i32.add (local.get $p1) (local.get $j))) (local.get $x))))
          (local.set $c (f32x4.add (local.get $c) (f32x4.mul (v128.load (i32.add (local.get $p2) (local.get $j))) (local.get $x))))
          (local.set $d (f32x4.add (local.get $d) (f32x4.mul (v128.load (i32.add (local.get $p3) (local.get $j))) (local.get $x))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $col (i32.lt_u (local.get $j) (local.get $stride))))
        (local.set $r (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))))
        (f32.store (local.get $r) (call $hsum (local.get $a)))
        (f32.store offset=4 (local.get $r) (call $hsum (local.get $b)))
        (f32.store offset=8 (local.get $r) (call $hsum (local.get $c)))
        (f32.store offset=12 (local.get $r) (call $hsum (local.get $d)))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $quad)))
    (call $dotRowsOne (local.get $q) (local.get $base)
      (i32.add (local.get $rows) (i32.shl (local.get $i) (i32.const 2))) (i32.sub (local.get $m) (local.get $i)) (local.get $dim)
      (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))))

  ;; The sum of a vector's four float32 lanes.
  (func $hsum (param $a v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
      (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))

  ;; dotRows one row at a time.
  (func $dotRowsOne (param $q i32) (param $base i32) (param $rows i32) (param $m i32) (param $dim i32) (param $out i32)
    (local $i i32) (local $p i32) (local $j i32) (local $stride i32) (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local.set $stride (i32.shl (local.get $dim) (i32.const 2)))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $p (i32.add (local.get $base)
          (i32.mul (i32.load (i32.add (local.get $rows) (i32.shl (local.get $i) (i32.const 2)))) (local.get $stride))))
        (local.set $a (v128.const i32x4 0 0 0 0))
        (local.set $b (v128.const i32x4 0 0 0 0))
        (local.set $c (v128.const i32x4 0 0 0 0))
        (local.set $d (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (loop $col
          (local.set $a (f32x4.add (local.get $a) (f32x4.mul
            (v128.load (i32.add (local.get $p) (local.get $j)))
            (v128.load (i32.add (local.get $q) (local.get $j))))))
          (local.set $b (f32x4.add (local.get $b) (f32x4.mul
            (v128.load offset=16 (i32.add (local.get $p) (local.get $j)))
            (v128.load offset=16 (i32.add (local.get $q) (local.get $j))))))
          (local.set $c (f32x4.add (local.get $c) (f32x4.mul
            (v128.load offset=32 (i32.add (local.get $p) (local.get $j)))
            (v128.load offset=32 (i32.add (local.get $q) (local.get $j))))))
          (local.set $d (f32x4.add (local.get $d) (f32x4.mul
            (v128.load offset=48 (i32.add (local.get $p) (local.get $j)))
            (v128.load offset=48 (i32.add (local.get $q) (local.get $j))))))
          (local.set $j (i32.add (local.get $j) (i32.const 64)))
          (br_if $col (i32.lt_u (local.get $j) (local.get $stride))))
        (local.set $a (f32x4.add (f32x4.add (local.get $a) (local.get $b)) (f32x4.add (local.get $c) (local.get $d))))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
            (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))

  ;; out[i] = <q, row i> for the m contiguous f32 rows at $base.
  (func $dotRange (export "dotRange") (param $q i32) (param $base i32) (param $m i32) (param $dim i32) (param $out i32)
    (local $i i32) (local $p i32) (local $j i32) (local $stride i32) (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local.set $stride (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $p (local.get $base))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $a (v128.const i32x4 0 0 0 0))
        (local.set $b (v128.const i32x4 0 0 0 0))
        (local.set $c (v128.const i32x4 0 0 0 0))
        (local.set $d (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (loop $col
          (local.set $a (f32x4.add (local.get $a) (f32x4.mul
            (v128.load (i32.add (local.get $p) (local.get $j)))
            (v128.load (i32.add (local.get $q) (local.get $j))))))
          (local.set $b (f32x4.add (local.get $b) (f32x4.mul
            (v128.load offset=16 (i32.add (local.get $p) (local.get $j)))
            (v128.load offset=16 (i32.add (local.get $q) (local.get $j))))))
          (local.set $c (f32x4.add (local.get $c) (f32x4.mul
            (v128.load offset=32 (i32.add (local.get $p) (local.get $j)))
            (v128.load offset=32 (i32.add (local.get $q) (local.get $j))))))
          (local.set $d (f32x4.add (local.get $d) (f32x4.mul
            (v128.load offset=48 (i32.add (local.get $p) (local.get $j)))
            (v128.load offset=48 (i32.add (local.get $q) (local.get $j))))))
          (local.set $j (i32.add (local.get $j) (i32.const 64)))
          (br_if $col (i32.lt_u (local.get $j) (local.get $stride))))
        (local.set $a (f32x4.add (f32x4.add (local.get $a) (local.get $b)) (f32x4.add (local.get $c) (local.get $d))))
        (f32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
            (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))
        (local.set $p (i32.add (local.get $p) (local.get $stride)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))

  ;; out[i] = the index c < nc of the centroid with the largest <row i, centroid c> (first on ties),
  ;; for the m contiguous f32 rows at $base; centroids: nc contiguous f32 rows at $cents.
  (func (export "nearest") (param $base i32) (param $m i32) (param $cents i32) (param $nc i32) (param $dim i32) (param $out i32)
    (local $i i32) (local $ci i32) (local $p i32) (local $cp i32) (local $j i32) (local $stride i32) (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local $s f32) (local $best f32) (local $arg i32)
    (local.set $stride (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $p (local.get $base))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $best (f32.const -inf))
        (local.set $arg (i32.const 0))
        (local.set $ci (i32.const 0))
        (local.set $cp (local.get $cents))
        (block $cdone
          (loop $cent
            (br_if $cdone (i32.ge_u (local.get $ci) (local.get $nc)))
            (local.set $a (v128.const i32x4 0 0 0 0))
            (local.set $b (v128.const i32x4 0 0 0 0))
        (local.set $c (v128.const i32x4 0 0 0 0))
        (local.set $d (v128.const i32x4 0 0 0 0))
            (local.set $j (i32.const 0))
            (loop $col
              (local.set $a (f32x4.add (local.get $a) (f32x4.mul
                (v128.load (i32.add (local.get $p) (local.get $j)))
                (v128.load (i32.add (local.get $cp) (local.get $j))))))
              (local.set $b (f32x4.add (local.get $b) (f32x4.mul
                (v128.load offset=16 (i32.add (local.get $p) (local.get $j)))
                (v128.load offset=16 (i32.add (local.get $cp) (local.get $j))))))
              (local.set $c (f32x4.add (local.get $c) (f32x4.mul
                (v128.load offset=32 (i32.add (local.get $p) (local.get $j)))
                (v128.load offset=32 (i32.add (local.get $cp) (local.get $j))))))
              (local.set $d (f32x4.add (local.get $d) (f32x4.mul
                (v128.load offset=48 (i32.add (local.get $p) (local.get $j)))
                (v128.load offset=48 (i32.add (local.get $cp) (local.get $j))))))
              (local.set $j (i32.add (local.get $j) (i32.const 64)))
              (br_if $col (i32.lt_u (local.get $j) (local.get $stride))))
            (local.set $a (f32x4.add (f32x4.add (local.get $a) (local.get $b)) (f32x4.add (local.get $c) (local.get $d))))
            (local.set $s (f32.add
              (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
              (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))
            (if (f32.gt (local.get $s) (local.get $best))
              (then (local.set $best (local.get $s)) (local.set $arg (local.get $ci))))
            (local.set $cp (i32.add (local.get $cp) (local.get $stride)))
            (local.set $ci (i32.add (local.get $ci) (i32.const 1)))
            (br $cent)))
        (i32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2))) (local.get $arg))
        (local.set $p (i32.add (local.get $p) (local.get $stride)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))

  ;; out[i] = <q8, row i> (exact int32) for the m contiguous int8 rows at $base; q8: i8[dim].
  (func (export "dotRangeI8") (param $q i32) (param $base i32) (param $m i32) (param $dim i32) (param $out i32)
    (local $i i32) (local $p i32) (local $j i32) (local $a v128) (local $x v128) (local $y v128)
    (local.set $p (local.get $base))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $i) (local.get $m)))
        (local.set $a (v128.const i32x4 0 0 0 0))
        (local.set $j (i32.const 0))
        (loop $col
          (local.set $x (v128.load (i32.add (local.get $p) (local.get $j))))
          (local.set $y (v128.load (i32.add (local.get $q) (local.get $j))))
          (local.set $a (i32x4.add (local.get $a) (i32x4.add
            (i32x4.extadd_pairwise_i16x8_s (i16x8.extmul_low_i8x16_s (local.get $x) (local.get $y)))
            (i32x4.extadd_pairwise_i16x8_s (i16x8.extmul_high_i8x16_s (local.get $x) (local.get $y))))))
          (local.set $j (i32.add (local.get $j) (i32.const 16)))
          (br_if $col (i32.lt_u (local.get $j) (local.get $dim))))
        (i32.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 2)))
          (i32.add
            (i32.add (i32x4.extract_lane 0 (local.get $a)) (i32x4.extract_lane 1 (local.get $a)))
            (i32.add (i32x4.extract_lane 2 (local.get $a)) (i32x4.extract_lane 3 (local.get $a)))))
        (local.set $p (i32.add (local.get $p) (local.get $dim)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $row))))
)
