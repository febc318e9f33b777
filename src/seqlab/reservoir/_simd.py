"""A hand-vectorised step of the ELL sparse matrix-vector product (numba intrinsic).

:func:`gather_fma4x4` adds four ELL slots to four consecutive rows at once::

    pre[i:i+4] += sum_{s<4} data[j+s, i:i+4] * x[cols[j+s, i:i+4]]

written as LLVM vector code: one 4-wide load of the weights, the four ``x`` values read
by scalar loads into a vector (``vmovsd``/``vmovhpd``/``vinsertf128`` on x86: a "software
gather"; this machine's Zen 2 has slow hardware gathers, so LLVM does not emit them), the
column indices read four (uint16) or two (uint32) per 64-bit load, and one vector fused
multiply-add per slot.
LLVM's loop vectoriser leaves the plain loop scalar (it prices the gather too high), and
the scalar loop issues 3.25 loads per entry (weight, index, ``x``, plus ``pre``) against
1.75 (uint32) or 1.5 (uint16) here: the product takes 0.44 (uint32) or ~0.36 (uint16)
instead of 0.65 ns per nonzero (1,000 units, 10% connectivity, one thread). Rounding:
one fused multiply-add per entry, as the scalar loop compiled with ``contract``; the
order of the sums over a row is the same.
"""

from __future__ import annotations

import sys

import llvmlite.ir as llvm_ir
from numba import types
from numba.core import cgutils
from numba.core.errors import TypingError
from numba.extending import intrinsic

_LITTLE = sys.byteorder == "little"


@intrinsic
def gather_fma4x4(typingctx, pre, data, cols, x, j, i):  # pragma: no cover - numba
    """``pre[i:i+4] += sum_{s<4} data[j+s, i:i+4] * x[cols[j+s, i:i+4]]``.

    ``pre``, ``x`` float64 1-D; ``data`` float64 and ``cols`` uint16/32, both C-contiguous
    ``(K, N)``. No bounds checks: the caller guarantees ``j + 4 <= K``, ``i + 4 <= N``
    and valid column indices.
    """
    f64_2d = types.Array(types.float64, 2, "C")
    if (
        data != f64_2d
        or cols not in (types.Array(types.uint16, 2, "C"), types.Array(types.uint32, 2, "C"))
        or not all(isinstance(a, types.Array) and a.dtype == types.float64 for a in (pre, x))
    ):
        raise TypingError("gather_fma4x4 needs float64 pre/x and C-contiguous (K, N) "
                          "float64 data and uint16/uint32 cols")
    bits = cols.dtype.bitwidth  # 16: one 64-bit load holds 4 indices; 32: two loads
    sig = types.void(pre, data, cols, x, types.intp, types.intp)

    def codegen(context, builder, signature, args):
        pre_a, data_a, cols_a, x_a = (
            context.make_array(ty)(context, builder, val)
            for ty, val in zip(signature.args[:4], args[:4])
        )
        j_v = context.cast(builder, args[4], signature.args[4], types.intp)
        i_v = context.cast(builder, args[5], signature.args[5], types.intp)
        f64, i64, i32 = llvm_ir.DoubleType(), llvm_ir.IntType(64), llvm_ir.IntType(32)
        v4 = llvm_ir.VectorType(f64, 4)
        fma = cgutils.get_or_insert_function(
            builder.module, llvm_ir.FunctionType(v4, [v4, v4, v4]), "llvm.fma.v4f64"
        )
        n_cols = builder.extract_value(data_a.shape, 1)
        pre_ptr = builder.bitcast(builder.gep(pre_a.data, [i_v]), v4.as_pointer())
        acc = builder.load(pre_ptr, align=8)
        for s in range(4):
            row = builder.add(j_v, llvm_ir.Constant(i64, s))
            off = builder.add(builder.mul(row, n_cols), i_v)
            w = builder.load(builder.bitcast(builder.gep(data_a.data, [off]), v4.as_pointer()),
                             align=8)
            words = builder.bitcast(builder.gep(cols_a.data, [off]), i64.as_pointer())
            mask = llvm_ir.Constant(i64, (1 << bits) - 1)
            xv = llvm_ir.Constant(v4, llvm_ir.Undefined)
            for k in range(4):
                per_word = 64 // bits
                if k % per_word == 0:
                    word = builder.load(
                        builder.gep(words, [llvm_ir.Constant(i64, k // per_word)]),
                        align=bits // 8,
                    )
                field = k % per_word if _LITTLE else per_word - 1 - k % per_word
                col = builder.and_(builder.lshr(word, llvm_ir.Constant(i64, bits * field)), mask)
                val = builder.load(builder.gep(x_a.data, [col]), align=8)
                xv = builder.insert_element(xv, val, llvm_ir.Constant(i32, k))
            acc = builder.call(fma, [w, xv, acc])
        builder.store(acc, pre_ptr, align=8)
        return context.get_dummy_value()

    return sig, codegen
