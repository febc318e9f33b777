"""Scaling out on existing engines: many series (Dask, Ray) and data-parallel training
(:mod:`seqlab.scale.distributed`, torch.distributed). Engines are imported only here."""
