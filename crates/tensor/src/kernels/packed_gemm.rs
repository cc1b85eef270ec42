//! The large matrix products: an AVX-512 GEMM where the CPU has AVX-512F,
//! `matrixmultiply` everywhere else.
//!
//! The AVX-512 path keeps a tile of 12 rows by two vectors of `C` (12 x 32
//! in `f32`, 12 x 16 in `f64`) in 24 of the 32 vector registers. Each step
//! along `k` adds one column of `A` times one packed row of `B` to it.
//! Only `B` is packed, into slivers of one tile's width, so that each sliver
//! is read contiguously. `A` is read in place: each step broadcasts one
//! element of each of the 12 rows, which costs the same load whether or not
//! the rows were packed first. On a Zen 4 core this made the `f32`
//! training step of a 784-256-256-10 network 6 to 8% faster than
//! `matrixmultiply` 0.3.11, which packs both operands (BENCHMARKS.md at
//! the repository root has the figures).
//!
//! A product with `n` no wider than one vector uses tiles one vector wide.
//! `k` is split as evenly as it allows into blocks of at most 512 steps in
//! `f32` (256 in `f64`, so that a tile's rows of `A` stay in the L1 cache).
//! Each block's sum starts from zero, in order along `k`, and is added to
//! `C` block after block. The bits therefore depend only on the shapes, not
//! on how columns are split between threads.
//!
//! NOTE: compared with `matrixmultiply` on Zen 4 only. No Intel CPU with
//! AVX-512 was at hand, and some of them lower their clock for 512-bit
//! code.

/// Defines the dispatching GEMM for one element type: the AVX-512 kernels
/// where [`use_avx512`] allows them, `matrixmultiply` otherwise.
macro_rules! dispatch_gemm {
    ($(#[$doc:meta])* $name:ident, $t:ty, $fallback:path) => {
        $(#[$doc])*
        ///
        /// # Safety
        ///
        /// `a`, `b` and `c` address `m x k`, `k x n` and `m x n` matrices
        /// with the given strides, all in bounds, and `c` aliases neither
        /// `a` nor `b`.
        #[allow(clippy::too_many_arguments)]
        pub(crate) unsafe fn $name(
            m: usize,
            k: usize,
            n: usize,
            alpha: $t,
            a: *const $t,
            rsa: isize,
            csa: isize,
            b: *const $t,
            rsb: isize,
            csb: isize,
            beta: $t,
            c: *mut $t,
            rsc: isize,
            csc: isize,
        ) {
            #[cfg(target_arch = "x86_64")]
            if use_avx512(alpha == 1.0, csc) {
                // SAFETY: the CPU has AVX-512F, `C` is row-major and the
                // caller upholds the bounds and aliasing contract.
                unsafe { avx512::$name(m, k, n, a, rsa, csa, b, rsb, csb, beta, c, rsc) };
                return;
            }
            // SAFETY: the caller upholds matrixmultiply's contract.
            unsafe { $fallback(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc) }
        }
    };
}

dispatch_gemm!(
    /// `C = alpha A B + beta C` in `f32`, with `matrixmultiply::sgemm`'s
    /// arguments and contract.
    sgemm,
    f32,
    matrixmultiply::sgemm
);
dispatch_gemm!(
    /// `C = alpha A B + beta C` in `f64`, with `matrixmultiply::dgemm`'s
    /// arguments and contract.
    dgemm,
    f64,
    matrixmultiply::dgemm
);

/// Returns whether a product goes to the AVX-512 kernels: the CPU has
/// AVX-512F, `alpha` is 1 and `C` is row-major.
#[cfg(target_arch = "x86_64")]
#[inline]
fn use_avx512(unit_alpha: bool, csc: isize) -> bool {
    unit_alpha && csc == 1 && std::arch::is_x86_feature_detected!("avx512f")
}

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512 {
    use std::arch::x86_64::*;
    use std::cell::RefCell;

    /// Rows of `C` in one register tile.
    const MR: usize = 12;

    /// Columns of `B` packed at a time, a multiple of every tile width. The
    /// packed block is then at most 512 KiB (512 steps of `k` in `f32`, 256
    /// in `f64`). It stays in a 1 MiB L2 cache while every band of 12 rows
    /// of `A` runs over it, and it caps the buffer each thread keeps.
    const NC: usize = 256;

    thread_local! {
        /// Packed slivers of `B`, kept between products so that a
        /// training loop does not allocate them at every step.
        static PACKED_F32: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
        static PACKED_F64: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
    }

    /// Returns a mask of the lowest `lanes` lanes (at most 16).
    fn lane_mask(lanes: usize) -> u32 {
        (1u32 << lanes) - 1
    }

    /// Returns the vectors in one tile row: one when `n` fits in a vector
    /// of `lanes` elements, two otherwise.
    fn tile_vectors(n: usize, lanes: usize) -> usize {
        if n <= lanes {
            1
        } else {
            2
        }
    }

    /// Returns the block length that splits `k` into blocks of at most
    /// `max` steps as evenly as possible, so that a long `k` does not end
    /// in a short block.
    fn block_len(k: usize, max: usize) -> usize {
        k.div_ceil(k.div_ceil(max))
    }

    /// Defines the AVX-512 GEMM for one element type.
    macro_rules! avx512_gemm {
        (
            $gemm:ident, $serial:ident, $pack:ident, $t:ty, $packed:ident, $lanes:literal, $kc:literal,
            $mask:ty, $set1:ident, $setzero:ident, $loadu:ident, $storeu:ident,
            $fmadd:ident, $maskz_loadu:ident, $mask_storeu:ident
        ) => {
            /// `C = A B + beta C` with `C` row-major.
            ///
            /// # Safety
            ///
            /// The CPU has AVX-512F; `a`, `b` and `c` address `m x k`,
            /// `k x n` and `m x n` matrices with the given strides (`C`'s
            /// column stride 1), all in bounds, and `c` aliases neither
            /// `a` nor `b`.
            #[allow(clippy::too_many_arguments)]
            pub(crate) unsafe fn $gemm(
                m: usize,
                k: usize,
                n: usize,
                a: *const $t,
                rsa: isize,
                csa: isize,
                b: *const $t,
                rsb: isize,
                csb: isize,
                beta: $t,
                c: *mut $t,
                rsc: isize,
            ) {
                #[cfg(feature = "threads")]
                {
                    let width = tile_vectors(n, $lanes) * $lanes;
                    let slivers = n.div_ceil(width);
                    let parts = column_parts(m * k * n, slivers);
                    if parts > 1 {
                        let operands = Operands { a, b, c };
                        crate::kernels::pool::run_parts(parts, &|part| {
                            let (a, b, c) = operands.pointers();
                            let first = part * slivers / parts * width;
                            let end = ((part + 1) * slivers / parts * width).min(n);
                            // SAFETY: columns first..end of `B` and `C` lie
                            // inside them, and the parts write disjoint
                            // columns of `C`.
                            unsafe {
                                $serial(
                                    m,
                                    k,
                                    end - first,
                                    a,
                                    rsa,
                                    csa,
                                    b.offset(first as isize * csb),
                                    rsb,
                                    csb,
                                    beta,
                                    c.add(first),
                                    rsc,
                                )
                            }
                        });
                        return;
                    }
                }
                // SAFETY: forwarded from the caller.
                unsafe { $serial(m, k, n, a, rsa, csa, b, rsb, csb, beta, c, rsc) }
            }

            /// Computes the product on the calling thread.
            ///
            /// # Safety
            ///
            /// As for the threaded entry point.
            #[allow(clippy::too_many_arguments)]
            unsafe fn $serial(
                m: usize,
                k: usize,
                n: usize,
                a: *const $t,
                rsa: isize,
                csa: isize,
                b: *const $t,
                rsb: isize,
                csb: isize,
                beta: $t,
                c: *mut $t,
                rsc: isize,
            ) {
                if m == 0 || n == 0 {
                    return;
                }
                if k == 0 {
                    for i in 0..m {
                        for j in 0..n {
                            // SAFETY: (i, j) is inside the m x n output.
                            let out = unsafe { &mut *c.offset(i as isize * rsc + j as isize) };
                            *out = if beta == 0.0 { 0.0 } else { beta * *out };
                        }
                    }
                    return;
                }
                let vectors = tile_vectors(n, $lanes);
                let width = vectors * $lanes;
                let kc_max = block_len(k, $kc);
                $packed.with_borrow_mut(|packed| {
                    // Packing writes every element it uses, padding too.
                    let len = NC.min(n.next_multiple_of(width)) * kc_max;
                    if packed.len() < len {
                        packed.resize(len, 0.0);
                    }
                    for first in (0..n).step_by(NC) {
                        let nc = NC.min(n - first);
                        let mut p = 0;
                        while p < k {
                            let kc = kc_max.min(k - p);
                            // Later blocks add to what the earlier ones stored.
                            let beta = if p == 0 { beta } else { 1.0 };
                            // SAFETY: rows p..p + kc and columns
                            // first..first + nc of `B` are in bounds.
                            unsafe {
                                let b = b.offset(p as isize * rsb + first as isize * csb);
                                $pack(kc, nc, width, b, rsb, csb, packed)
                            };
                            for i in (0..m).step_by(MR) {
                                let rows = MR.min(m - i);
                                // SAFETY: row i, column p of `A` is in bounds.
                                let a = unsafe { a.offset(i as isize * rsa + p as isize * csa) };
                                for j in (0..nc).step_by(width) {
                                    let tile = Tile {
                                        kc,
                                        a,
                                        rsa,
                                        csa,
                                        b: packed[j * kc..].as_ptr(),
                                        // SAFETY: (i, first + j) is inside the
                                        // output.
                                        c: unsafe {
                                            c.offset(i as isize * rsc + (first + j) as isize)
                                        },
                                        rsc,
                                        cols: width.min(nc - j),
                                        beta,
                                    };
                                    // SAFETY: the CPU has AVX-512F and the
                                    // tile lies inside every operand.
                                    unsafe {
                                        if vectors == 1 {
                                            tile.run::<1>(rows)
                                        } else {
                                            tile.run::<2>(rows)
                                        }
                                    }
                                }
                            }
                            p += kc;
                        }
                    }
                });
            }

            /// Packs rows `0..kc` of `B` (`kc x n`) into slivers of
            /// `width` columns, each `kc x width` and row-major, with zeros
            /// past column `n`.
            ///
            /// # Safety
            ///
            /// The CPU has AVX-512F; `b` addresses a `kc x n` matrix with
            /// the given strides, and `out` has room for
            /// `n.div_ceil(width) * width * kc` elements.
            #[target_feature(enable = "avx512f")]
            unsafe fn $pack(
                kc: usize,
                n: usize,
                width: usize,
                b: *const $t,
                rsb: isize,
                csb: isize,
                out: &mut [$t],
            ) {
                let slivers = n.div_ceil(width);
                let out = &mut out[..slivers * width * kc];
                if csb == 1 {
                    // Row by row across all slivers, so that each row of
                    // `B` is read from start to end. Masked loads read
                    // only columns below `n` and give zeros in the other
                    // lanes.
                    for kk in 0..kc {
                        // SAFETY: row kk of `B` is in bounds.
                        let src = unsafe { b.offset(kk as isize * rsb) };
                        for j in (0..slivers * width).step_by($lanes) {
                            let mask = lane_mask(n.saturating_sub(j).min($lanes)) as $mask;
                            let (s, lane) = (j / width, j % width);
                            let at = s * width * kc + kk * width + lane;
                            // SAFETY: the mask keeps the load inside row kk
                            // of `B`, and `at` starts a vector inside `out`.
                            unsafe {
                                $storeu(
                                    out.as_mut_ptr().add(at),
                                    $maskz_loadu(mask, src.wrapping_add(j)),
                                )
                            };
                        }
                    }
                } else {
                    // Column by column, so that a transposed `B` (row
                    // stride 1) is read contiguously.
                    out.fill(0.0);
                    for j in 0..n {
                        // SAFETY: column j of `B` is in bounds.
                        let column = unsafe { b.offset(j as isize * csb) };
                        let sliver = &mut out[(j / width) * width * kc..][..width * kc];
                        for (kk, row) in sliver.chunks_exact_mut(width).enumerate() {
                            // SAFETY: row kk of that column.
                            row[j % width] = unsafe { *column.offset(kk as isize * rsb) };
                        }
                    }
                }
            }

            impl Tile<$t> {
                /// Runs the tile with `rows` rows of `C`, 1 to [`MR`].
                ///
                /// # Safety
                ///
                /// As for [`Tile::kernel`].
                #[inline(always)]
                unsafe fn run<const V: usize>(&self, rows: usize) {
                    // SAFETY: forwarded from the caller.
                    unsafe {
                        match rows {
                            12 => self.kernel::<12, V>(),
                            11 => self.kernel::<11, V>(),
                            10 => self.kernel::<10, V>(),
                            9 => self.kernel::<9, V>(),
                            8 => self.kernel::<8, V>(),
                            7 => self.kernel::<7, V>(),
                            6 => self.kernel::<6, V>(),
                            5 => self.kernel::<5, V>(),
                            4 => self.kernel::<4, V>(),
                            3 => self.kernel::<3, V>(),
                            2 => self.kernel::<2, V>(),
                            1 => self.kernel::<1, V>(),
                            _ => unreachable!("a tile has 1 to {MR} rows"),
                        }
                    }
                }

                /// Adds `R` rows of `A` times one packed sliver of `B`
                /// (`V` vectors wide) over `kc` steps, then stores
                /// `sum + beta C` into the first `cols` columns of the tile.
                ///
                /// # Safety
                ///
                /// The CPU has AVX-512F; `R` rows of `A` and `kc` rows of
                /// the sliver are in bounds, as are `R` rows and `cols`
                /// columns of `C` from `c`.
                #[target_feature(enable = "avx512f")]
                unsafe fn kernel<const R: usize, const V: usize>(&self) {
                    let mut sums = [[$setzero(); V]; R];
                    let mut a = self.a;
                    let mut b = self.b;
                    for _ in 0..self.kc {
                        let mut row = [$setzero(); V];
                        for (v, lane) in row.iter_mut().enumerate() {
                            // SAFETY: inside the sliver's current row.
                            *lane = unsafe { $loadu(b.add(v * $lanes)) };
                        }
                        for (r, sum) in sums.iter_mut().enumerate() {
                            // SAFETY: row r of `A` at the current step.
                            let x = $set1(unsafe { *a.offset(r as isize * self.rsa) });
                            for v in 0..V {
                                sum[v] = $fmadd(x, row[v], sum[v]);
                            }
                        }
                        // The step past the last one may leave `A`, so it
                        // wraps instead of claiming to stay in bounds.
                        a = a.wrapping_offset(self.csa);
                        b = b.wrapping_add(V * $lanes);
                    }
                    let masks: [$mask; V] = std::array::from_fn(|v| {
                        lane_mask(self.cols.saturating_sub(v * $lanes).min($lanes)) as $mask
                    });
                    let beta = $set1(self.beta);
                    for (r, sum) in sums.iter().enumerate() {
                        // SAFETY: row r of the tile is inside `C`.
                        let out = unsafe { self.c.offset(r as isize * self.rsc) };
                        for v in 0..V {
                            let mut value = sum[v];
                            // The second vector of a narrow tile starts past
                            // `C`'s columns, so its address only wraps, and
                            // its mask is empty.
                            let out = out.wrapping_add(v * $lanes);
                            // SAFETY: the masks cover only columns inside
                            // `C`, and a full mask a whole vector of them.
                            unsafe {
                                if masks[v] == <$mask>::MAX {
                                    if self.beta != 0.0 {
                                        value = $fmadd(beta, $loadu(out), value);
                                    }
                                    $storeu(out, value);
                                } else {
                                    if self.beta != 0.0 {
                                        value = $fmadd(beta, $maskz_loadu(masks[v], out), value);
                                    }
                                    $mask_storeu(out, masks[v], value);
                                }
                            }
                        }
                    }
                }
            }
        };
    }

    /// The smallest product, in multiply-adds, that the `threads` feature
    /// splits: about 40 µs on one Zen 4 core, against a few µs to hand a
    /// part to a spinning worker.
    #[cfg(feature = "threads")]
    const SPLIT_PRODUCT: usize = 1 << 21;

    /// Returns how many parts, each a run of whole slivers of columns, a
    /// product of `size` multiply-adds with `slivers` slivers is split
    /// into: 1 below [`SPLIT_PRODUCT`], else up to the thread count.
    #[cfg(feature = "threads")]
    fn column_parts(size: usize, slivers: usize) -> usize {
        if size < SPLIT_PRODUCT {
            return 1;
        }
        crate::kernels::pool::available_threads().min(slivers)
    }

    /// The operands' addresses, shared with the worker threads.
    #[cfg(feature = "threads")]
    #[derive(Clone, Copy)]
    struct Operands<T> {
        a: *const T,
        b: *const T,
        c: *mut T,
    }

    #[cfg(feature = "threads")]
    impl<T> Operands<T> {
        /// Returns `A`, `B` and `C`. A closure that calls this captures
        /// the whole `Operands`, which is `Sync`, not its raw pointers.
        fn pointers(self) -> (*const T, *const T, *mut T) {
            (self.a, self.b, self.c)
        }
    }

    // SAFETY: the parts of a product read `A` and `B` and write disjoint
    // columns of `C`, and `pool::run_parts` returns only after every part
    // has finished.
    #[cfg(feature = "threads")]
    unsafe impl<T> Sync for Operands<T> {}

    /// One register tile: where its operands start and how far it runs.
    struct Tile<T> {
        /// Steps along `k` in this block.
        kc: usize,
        /// `A` at the tile's first row and the block's first column.
        a: *const T,
        rsa: isize,
        csa: isize,
        /// The packed sliver of `B`, `kc` rows of the tile's width.
        b: *const T,
        /// `C` at the tile's first row and column, row-major.
        c: *mut T,
        rsc: isize,
        /// Columns of the tile inside `C`.
        cols: usize,
        /// Scale of the old `C`; 0 ignores it, even NaN.
        beta: T,
    }

    avx512_gemm!(
        sgemm,
        sgemm_serial,
        pack_f32,
        f32,
        PACKED_F32,
        16,
        512,
        __mmask16,
        _mm512_set1_ps,
        _mm512_setzero_ps,
        _mm512_loadu_ps,
        _mm512_storeu_ps,
        _mm512_fmadd_ps,
        _mm512_maskz_loadu_ps,
        _mm512_mask_storeu_ps
    );
    avx512_gemm!(
        dgemm,
        dgemm_serial,
        pack_f64,
        f64,
        PACKED_F64,
        8,
        256,
        __mmask8,
        _mm512_set1_pd,
        _mm512_setzero_pd,
        _mm512_loadu_pd,
        _mm512_storeu_pd,
        _mm512_fmadd_pd,
        _mm512_maskz_loadu_pd,
        _mm512_mask_storeu_pd
    );
}

#[cfg(test)]
// Without x86-64 the helpers below have no AVX-512 GEMM to check.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
mod tests {
    use super::*;

    /// Returns whether the CPU running the tests has the AVX-512 path.
    fn has_avx512() -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            std::arch::is_x86_feature_detected!("avx512f")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }

    /// The signature of the AVX-512 GEMMs.
    type Gemm<T> = unsafe fn(
        usize,
        usize,
        usize,
        *const T,
        isize,
        isize,
        *const T,
        isize,
        isize,
        T,
        *mut T,
        isize,
    );

    /// Small integers, so that every product and partial sum is exact in
    /// both types and any wrong index shows as an exact mismatch.
    fn small_integers(len: usize, seed: usize) -> Vec<f64> {
        (0..len)
            .map(|i| ((i * 7 + seed * 13) % 9) as f64 - 4.0)
            .collect()
    }

    /// One product's operands, with `A` and `B` stored either row-major or
    /// transposed, and `C` with two spare columns per row that must stay
    /// untouched.
    struct Case {
        m: usize,
        k: usize,
        n: usize,
        a_transposed: bool,
        b_transposed: bool,
        beta: f64,
    }

    impl Case {
        /// Runs the case through `gemm` and compares with the plain
        /// triple loop, exactly.
        fn check<T: crate::Float>(&self, gemm: Gemm<T>) {
            let Case { m, k, n, .. } = *self;
            let a = small_integers(m * k, 1);
            let b = small_integers(k * n, 2);
            let (rsa, csa) = if self.a_transposed { (1, m) } else { (k, 1) };
            let (rsb, csb) = if self.b_transposed { (1, k) } else { (n, 1) };
            let rsc = n + 2;

            // With beta = 0 the old C is NaN, which must not survive.
            let old = if self.beta == 0.0 {
                vec![f64::NAN; m * rsc]
            } else {
                small_integers(m * rsc, 3)
            };

            let mut expected = old.clone();
            for i in 0..m {
                for j in 0..n {
                    let sum: f64 = (0..k)
                        .map(|p| a[i * rsa + p * csa] * b[p * rsb + j * csb])
                        .sum();
                    let previous = if self.beta == 0.0 {
                        0.0
                    } else {
                        self.beta * old[i * rsc + j]
                    };
                    expected[i * rsc + j] = sum + previous;
                }
            }

            let convert =
                |values: &[f64]| values.iter().map(|&v| T::from_f64(v)).collect::<Vec<T>>();
            let (a, b, mut c) = (convert(&a), convert(&b), convert(&old));
            // SAFETY: every operand contains its matrix with these strides.
            unsafe {
                gemm(
                    m,
                    k,
                    n,
                    a.as_ptr(),
                    rsa as isize,
                    csa as isize,
                    b.as_ptr(),
                    rsb as isize,
                    csb as isize,
                    T::from_f64(self.beta),
                    c.as_mut_ptr(),
                    rsc as isize,
                )
            };

            for (index, (&actual, &wanted)) in c.iter().zip(&expected).enumerate() {
                let (i, j) = (index / rsc, index % rsc);
                let same = actual.to_f64() == wanted || (actual.is_nan() && wanted.is_nan());
                assert!(
                    same,
                    "{} {m}x{k}x{n} (A^T {}, B^T {}, beta {}): C[{i}][{j}] = {actual}, expected {wanted}",
                    T::NAME,
                    self.a_transposed,
                    self.b_transposed,
                    self.beta,
                );
            }
        }
    }

    /// Shapes around the tile sizes (12 rows; 16 or 32 columns in `f32`,
    /// 8 or 16 in `f64`) and the `k` blocks (512 in `f32`, 256 in `f64`).
    fn cases() -> Vec<Case> {
        let mut cases = Vec::new();
        let shapes = [
            (1, 1, 1),
            (12, 8, 16),
            (13, 5, 17),
            (11, 3, 33),
            (25, 40, 9),
            (37, 7, 70),
            (24, 257, 31),
            (5, 600, 40),
            (30, 1100, 20),
            (2, 0, 3),
            // Above the size that the `threads` feature splits by columns.
            (40, 300, 200),
            // Wider than one packed block of 256 columns.
            (13, 40, 300),
            (5, 600, 530),
        ];
        for (m, k, n) in shapes {
            for (a_transposed, b_transposed) in
                [(false, false), (true, false), (false, true), (true, true)]
            {
                for beta in [0.0, 1.0, 0.5] {
                    cases.push(Case {
                        m,
                        k,
                        n,
                        a_transposed,
                        b_transposed,
                        beta,
                    });
                }
            }
        }
        cases
    }

    #[test]
    fn avx512_gemm_matches_plain_loops() {
        if !has_avx512() {
            eprintln!("skipped: this CPU has no AVX-512F");
            return;
        }
        #[cfg(target_arch = "x86_64")]
        for case in cases() {
            case.check::<f32>(avx512::sgemm);
            case.check::<f64>(avx512::dgemm);
        }
    }

    #[test]
    fn dispatch_matches_matrixmultiply_closely() {
        // Random values: the two GEMMs may round differently, so compare
        // against matrixmultiply within a bound on the rounding.
        let (m, k, n) = (70, 300, 45);
        let a: Vec<f32> = (0..m * k)
            .map(|i| ((i * 7919) % 1000) as f32 / 997.0 - 0.5)
            .collect();
        let b: Vec<f32> = (0..k * n)
            .map(|i| ((i * 104_729) % 1009) as f32 / 1009.0 - 0.5)
            .collect();
        let mut ours = vec![0.0f32; m * n];
        let mut theirs = vec![0.0f32; m * n];
        // SAFETY: the operands contain row-major m x k, k x n and m x n
        // matrices.
        unsafe {
            sgemm(
                m,
                k,
                n,
                1.0,
                a.as_ptr(),
                k as isize,
                1,
                b.as_ptr(),
                n as isize,
                1,
                0.0,
                ours.as_mut_ptr(),
                n as isize,
                1,
            );
            matrixmultiply::sgemm(
                m,
                k,
                n,
                1.0,
                a.as_ptr(),
                k as isize,
                1,
                b.as_ptr(),
                n as isize,
                1,
                0.0,
                theirs.as_mut_ptr(),
                n as isize,
                1,
            );
        }
        for (index, (x, y)) in ours.iter().zip(&theirs).enumerate() {
            // Each sum has k products of magnitude at most 0.25.
            let bound = k as f32 * 0.25 * f32::EPSILON;
            assert!(
                (x - y).abs() <= bound,
                "C[{index}]: {x} against matrixmultiply's {y}"
            );
        }
    }
}
