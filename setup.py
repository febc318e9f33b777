"""Builds seqlab's kernels ahead of time (``seqlab._aot``, issue 17); the rest of the
package metadata is in pyproject.toml.

The extension is optional: where it cannot be built (no C compiler, no ``numba.pycc``) the
install goes on with a warning, and seqlab runs the same kernels jitted.
"""

from __future__ import annotations

import importlib
import os
import sys

from setuptools import setup
from setuptools.command.build_ext import build_ext as _build_ext

HERE = os.path.dirname(os.path.abspath(__file__))


class build_ext(_build_ext):  # setuptools' command name
    """Compiles the numba part of the ahead-of-time module first; a failure is a warning."""

    def build_extension(self, ext):  # type: ignore[no-untyped-def]
        if getattr(ext, "_cc", None) is None:
            return super().build_extension(ext)
        try:
            ext._prepare_object_files(self)  # numba: the kernels to an object file
            super().build_extension(ext)
        except Exception as err:  # any failure leaves the jitted kernels
            self.warn(f"seqlab: the ahead-of-time kernels were not built ({err!r}); "
                      "seqlab will use the same kernels jitted by numba")


def _aot_extensions() -> list:
    """The extension ``seqlab._aot._kernels`` (none, with a message, where it cannot be made)."""
    sys.path.insert(0, os.path.join(HERE, "src"))
    try:
        import llvmlite.binding as llvm
        from numba.pycc import CC

        from seqlab._aot import EXPORTS, source_hash
        cc = CC("_kernels", "seqlab._aot")
        cpu = os.environ.get("SEQLAB_AOT_CPU", "host")  # "" for any x86-64 (a wheel to share)
        cc.target_cpu = llvm.get_host_cpu_name() if cpu == "host" else cpu
        cc.verbose = False
        for name, (module, attr, sig) in EXPORTS.items():
            cc.export(name, sig)(getattr(importlib.import_module(module), attr).py_func)
        stamp = source_hash()  # which sources this module is built from (seqlab._aot)
        cc.export("source_hash", "i8()")(lambda: stamp)
        ext = cc.distutils_extension()
        ext.name = "seqlab._aot._kernels"
    except Exception as err:  # any failure leaves the jitted kernels
        print(f"seqlab: no ahead-of-time kernels ({err!r}); seqlab will use the same "
              "kernels jitted by numba", file=sys.stderr)
        return []
    finally:
        sys.path.pop(0)
    return [ext]


setup(ext_modules=_aot_extensions(), cmdclass={"build_ext": build_ext})
