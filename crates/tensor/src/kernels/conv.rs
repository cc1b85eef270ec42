//! im2col and its adjoint col2im: the lowering of a convolution to a
//! matrix product.
//!
//! For one sample `x` of shape `[channels, height, width]`, im2col builds
//! the row-major column matrix `cols` of shape
//! `[channels * kernel_height * kernel_width, out_height * out_width]`:
//!
//! ```text
//! cols[(c, ki, kj), (oy, ox)] = x[c, oy * stride_y + ki - pad_y, ox * stride_x + kj - pad_x]
//! ```
//!
//! with zero where the index falls in the padding. The cross-correlation
//! `y[o, oy, ox] = sum_{c, ki, kj} w[o, c, ki, kj] x[c, ...]` is then the
//! product of the weight as an `[out_channels, channels * kh * kw]` matrix
//! with `cols`.

use crate::float::Float;

/// The sizes of a 2-D convolution over a batch, checked before any kernel
/// runs. A 1-D convolution is the case `in_height = kernel_height = 1`
/// with stride and padding 1 and 0 along the height.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ConvGeometry {
    /// The op's name for messages and printed tapes: `conv1d` or `conv2d`.
    pub op: &'static str,
    pub batch: usize,
    pub in_channels: usize,
    pub in_height: usize,
    pub in_width: usize,
    pub out_channels: usize,
    pub kernel_height: usize,
    pub kernel_width: usize,
    /// Strides along the height and the width, each at least 1.
    pub stride: [usize; 2],
    /// Zero padding added on both sides of the height and of the width.
    pub padding: [usize; 2],
    pub out_height: usize,
    pub out_width: usize,
}

impl ConvGeometry {
    /// Returns the number of elements in one input sample, `channels * height * width`.
    pub(crate) fn sample_len(&self) -> usize {
        self.in_channels * self.in_height * self.in_width
    }

    /// Returns the number of rows of the column matrix, one per (channel,
    /// kernel row, kernel column). It is also the row length of the weight
    /// as a matrix.
    pub(crate) fn patch_len(&self) -> usize {
        self.in_channels * self.kernel_height * self.kernel_width
    }

    /// Returns the number of columns of the column matrix, one per output
    /// position.
    pub(crate) fn out_positions(&self) -> usize {
        self.out_height * self.out_width
    }
}

/// Returns the output indices `lo..hi` along one axis whose input index
/// `o * stride + k - pad` falls inside `0..in_len`. The others read padding.
fn valid_range(
    out_len: usize,
    in_len: usize,
    stride: usize,
    k: usize,
    pad: usize,
) -> (usize, usize) {
    // o * stride + k - pad >= 0  <=>  o >= ceil((pad - k) / stride).
    let lo = if k >= pad {
        0
    } else {
        (pad - k).div_ceil(stride)
    };
    // o * stride + k - pad <= in_len - 1  <=>  o <= (in_len - 1 + pad - k) / stride.
    let hi = if in_len + pad < k + 1 {
        0
    } else {
        // Ordered so that no step goes below 0 for an empty input (in_len 0).
        ((in_len + pad - 1 - k) / stride + 1).min(out_len)
    };
    (lo.min(hi), hi)
}

/// Fills `cols` with the column matrix of one sample `input`, as defined in
/// the module documentation.
///
/// `input` has [`ConvGeometry::sample_len`] elements and `cols`
/// `patch_len * out_positions`; every element of `cols` is overwritten.
pub(crate) fn im2col<T: Float>(geometry: &ConvGeometry, input: &[T], cols: &mut [T]) {
    let g = geometry;
    let [stride_y, stride_x] = g.stride;
    let [pad_y, pad_x] = g.padding;
    let positions = g.out_positions();
    let mut row = 0;
    for c in 0..g.in_channels {
        let channel = &input[c * g.in_height * g.in_width..][..g.in_height * g.in_width];
        for ki in 0..g.kernel_height {
            let (y_lo, y_hi) = valid_range(g.out_height, g.in_height, stride_y, ki, pad_y);
            for kj in 0..g.kernel_width {
                let (x_lo, x_hi) = valid_range(g.out_width, g.in_width, stride_x, kj, pad_x);
                let dst_row = &mut cols[row * positions..][..positions];
                row += 1;
                for oy in 0..g.out_height {
                    let dst = &mut dst_row[oy * g.out_width..][..g.out_width];
                    if oy < y_lo || oy >= y_hi {
                        dst.fill(T::ZERO);
                        continue;
                    }
                    let iy = oy * stride_y + ki - pad_y;
                    let src = &channel[iy * g.in_width..][..g.in_width];
                    dst[..x_lo].fill(T::ZERO);
                    dst[x_hi..].fill(T::ZERO);
                    if stride_x == 1 {
                        // Contiguous in both: one copy the compiler vectorises.
                        let start = x_lo + kj - pad_x;
                        dst[x_lo..x_hi].copy_from_slice(&src[start..start + (x_hi - x_lo)]);
                    } else {
                        for ox in x_lo..x_hi {
                            dst[ox] = src[ox * stride_x + kj - pad_x];
                        }
                    }
                }
            }
        }
    }
}

/// Adds every entry of a column matrix `cols` to the input element that
/// [`im2col`] copied it from, and drops the entries that came from the
/// padding. This is the adjoint of im2col, so it maps the gradient of the
/// column matrix to the gradient of the input. Elements shared by
/// overlapping patches receive the sum of their entries.
///
/// `cols` has `patch_len * out_positions` elements and `input_grad`
/// [`ConvGeometry::sample_len`]; `input_grad` is added to, not overwritten.
pub(crate) fn col2im_add<T: Float>(geometry: &ConvGeometry, cols: &[T], input_grad: &mut [T]) {
    let g = geometry;
    let [stride_y, stride_x] = g.stride;
    let [pad_y, pad_x] = g.padding;
    let positions = g.out_positions();
    let mut row = 0;
    for c in 0..g.in_channels {
        let channel = &mut input_grad[c * g.in_height * g.in_width..][..g.in_height * g.in_width];
        for ki in 0..g.kernel_height {
            let (y_lo, y_hi) = valid_range(g.out_height, g.in_height, stride_y, ki, pad_y);
            for kj in 0..g.kernel_width {
                let (x_lo, x_hi) = valid_range(g.out_width, g.in_width, stride_x, kj, pad_x);
                let src_row = &cols[row * positions..][..positions];
                row += 1;
                for oy in y_lo..y_hi {
                    let src = &src_row[oy * g.out_width..][..g.out_width];
                    let iy = oy * stride_y + ki - pad_y;
                    let dst = &mut channel[iy * g.in_width..][..g.in_width];
                    for ox in x_lo..x_hi {
                        dst[ox * stride_x + kj - pad_x] += src[ox];
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geometry(in_width: usize, kernel_width: usize, stride: usize, pad: usize) -> ConvGeometry {
        let out_width = (in_width + 2 * pad - kernel_width) / stride + 1;
        ConvGeometry {
            op: "conv1d",
            batch: 1,
            in_channels: 1,
            in_height: 1,
            in_width,
            out_channels: 1,
            kernel_height: 1,
            kernel_width,
            stride: [1, stride],
            padding: [0, pad],
            out_height: 1,
            out_width,
        }
    }

    #[test]
    fn valid_range_cases() {
        // in 4, pad 1, kernel 3, stride 1: out 4; tap 0 reads index o - 1.
        assert_eq!(valid_range(4, 4, 1, 0, 1), (1, 4));
        assert_eq!(valid_range(4, 4, 1, 1, 1), (0, 4));
        // Tap 2 reads index o + 1, outside for o = 3.
        assert_eq!(valid_range(4, 4, 1, 2, 1), (0, 3));
        // in 5, pad 1, kernel 3, stride 2: out 3; tap 0 reads 2o - 1.
        assert_eq!(valid_range(3, 5, 2, 0, 1), (1, 3));
        // Padding 3 around one element: only output 3 reads it with tap 0.
        assert_eq!(valid_range(5, 1, 1, 0, 3), (3, 4));
        // A tap past the end of an unpadded input: no valid output.
        assert_eq!(valid_range(5, 1, 1, 4, 0), (0, 0));
    }

    #[test]
    fn im2col_padded_1d() {
        // x = [1, 2, 3], kernel 3, pad 1: columns are the windows
        // [0 1 2], [1 2 3], [2 3 0], stored tap by tap.
        let g = geometry(3, 3, 1, 1);
        let mut cols = vec![f64::NAN; 9];
        im2col(&g, &[1.0, 2.0, 3.0], &mut cols);
        assert_eq!(cols, [0.0, 1.0, 2.0, 1.0, 2.0, 3.0, 2.0, 3.0, 0.0]);
    }

    #[test]
    fn im2col_strided_1d() {
        // x = [1..5], kernel 2, stride 2, pad 1: windows [0 1], [2 3], [4 5].
        let g = geometry(5, 2, 2, 1);
        let mut cols = vec![f64::NAN; 6];
        im2col(&g, &[1.0, 2.0, 3.0, 4.0, 5.0], &mut cols);
        assert_eq!(cols, [0.0, 2.0, 4.0, 1.0, 3.0, 5.0]);
    }

    #[test]
    fn col2im_adjoint_of_im2col() {
        // <im2col(x), c> = <x, col2im(c)> for every x and c.
        let g = geometry(5, 3, 2, 2);
        let cols_len = g.patch_len() * g.out_positions();
        let x: Vec<f64> = (0..5).map(|i| (i as f64 * 0.7).sin()).collect();
        let c: Vec<f64> = (0..cols_len).map(|i| (i as f64 * 1.3).cos()).collect();
        let mut cols = vec![0.0; cols_len];
        im2col(&g, &x, &mut cols);
        let mut back = vec![0.0; 5];
        col2im_add(&g, &c, &mut back);
        let lhs: f64 = cols.iter().zip(&c).map(|(a, b)| a * b).sum();
        let rhs: f64 = x.iter().zip(&back).map(|(a, b)| a * b).sum();
        assert!((lhs - rhs).abs() < 1e-12, "{lhs} != {rhs}");
    }
}
